/**
 * One run's own OTel providers (metrics, logs, traces), assembled from its backends. They are
 * private to the run unless it is asked to register them globally (`register_global`); the
 * application's own providers are found apart (see `AppProviders`).
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Resource } from '@opentelemetry/resources';
import {
  LoggerProvider,
  type ReadableLogRecord,
  type ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { DiagnosticLogger } from '../diagnostics.js';
import { INSTRUMENTATION_SCOPE, type RecordOrigin } from '../events/events.js';
import {
  isReadingProcessor,
  type ReadingLogRecordProcessor,
  type TelemetryBackend,
} from '../exporters/backend.js';
import { globalLogsApi, markOwnProvider } from './app-providers.js';
import { TrainingEventProcessor } from './event-processor.js';

export const MAX_ROW_ATTRIBUTES = 100_000;

export interface TelemetryPipelineOptions {
  readonly resource: Resource;
  readonly backends: readonly TelemetryBackend[];
  readonly diagnostics: DiagnosticLogger;
  /** See `TrainingEventProcessorOptions.maxQueueSize`. */
  readonly maxEventQueueSize?: number;
}

export class TelemetryPipeline {
  /** Where instruments other than the run's own go; the global one when the run registers. */
  readonly meterProvider: MeterProvider;
  /** The run's own instruments, read only by the backends that export them (OTLP). */
  readonly runMeterProvider: MeterProvider;
  readonly loggerProvider: LoggerProvider;
  readonly tracerProvider: TracerProvider;
  /** True when some backend exports the run's own instruments (see `TelemetryBackend`). */
  readonly exportsRunInstruments: boolean;
  /**
   * Hands a row to every log processor of the run, as a ready-made record (`MetricsRecord`),
   * instead of through the SDK's `Logger`: possible when they all only read what they get (the
   * step-aware exporters' processor, the OTLP backend's). Undefined when some other processor (a
   * user's) must get the rows as the SDK makes them, or when none reads rows.
   */
  readonly directRows: ((record: ReadableLogRecord) => void) | undefined;
  /** The resource and scope of the run's own log records. */
  readonly recordOrigin: RecordOrigin;
  private readonly consumedEvents: ReadonlySet<string> | 'all';
  private readonly eventProcessor: TrainingEventProcessor | undefined;
  private readonly diagnostics: DiagnosticLogger;
  private readonly backends: readonly TelemetryBackend[];
  private readonly globals = { metrics: false, trace: false, logs: false };

  constructor(options: TelemetryPipelineOptions) {
    const { resource, backends } = options;
    this.diagnostics = options.diagnostics;
    this.backends = backends;
    const eventExporters = backends.flatMap((b) => b.eventExporters ?? []);
    const logRecordProcessors = backends.flatMap((b) => b.logRecordProcessors ?? []);
    this.eventProcessor =
      eventExporters.length > 0
        ? new TrainingEventProcessor({
            exporters: eventExporters,
            maxQueueSize: options.maxEventQueueSize,
            diagnostics: options.diagnostics,
          })
        : undefined;
    const processors = [
      ...(this.eventProcessor ? [this.eventProcessor] : []),
      ...logRecordProcessors,
    ];
    this.directRows = logRecordProcessors.every(isReadingProcessor)
      ? fanOut(this.eventProcessor, logRecordProcessors as ReadingLogRecordProcessor[])
      : undefined;
    this.recordOrigin = {
      resource,
      instrumentationScope: Object.freeze({ name: INSTRUMENTATION_SCOPE }),
    };
    this.loggerProvider = new LoggerProvider({
      resource,
      processors,
      // A row is one record with an attribute per metric: the default limit of 128 would cut wide rows.
      logRecordLimits: { attributeCountLimit: MAX_ROW_ATTRIBUTES },
    });
    this.meterProvider = new MeterProvider({
      resource,
      readers: backends.flatMap((b) => b.metricReaders ?? []),
    });
    const runReaders = backends.flatMap((b) => b.runMetricReaders ?? []);
    this.runMeterProvider = new MeterProvider({ resource, readers: runReaders });
    this.exportsRunInstruments = runReaders.length > 0;
    this.tracerProvider = new TracerProvider({
      resource,
      spanProcessors: backends.flatMap((b) => b.spanProcessors ?? []),
    });
    this.consumedEvents =
      logRecordProcessors.length > 0 || backends.some((b) => b.eventExporters?.length && !b.events)
        ? 'all'
        : new Set(backends.flatMap((b) => (b.eventExporters?.length ? (b.events ?? []) : [])));
  }

  /** False when no backend would read the training event `eventName`: emitting it is wasted work. */
  consumesEvent(eventName: string): boolean {
    return this.consumedEvents === 'all' || this.consumedEvents.has(eventName);
  }

  /**
   * Makes these providers the global ones (`register_global`), for scripts without an OTel SDK of
   * their own: the user's own instrumentation (runtime metrics, other libraries' spans) then
   * reaches the same backends. A context manager is installed if none is, so spans nest across
   * `await`. A global another SDK (or run) holds is left to it, with a warning naming it: true
   * when all three were registered.
   */
  registerGlobally(): boolean {
    const logs = globalLogsApi();
    for (const provider of [this.meterProvider, this.tracerProvider, this.loggerProvider]) {
      markOwnProvider(provider);
    }
    this.globals.metrics = metrics.setGlobalMeterProvider(this.meterProvider);
    this.globals.trace = trace.setGlobalTracerProvider(this.tracerProvider);
    this.globals.logs = logs.setGlobalLoggerProvider(this.loggerProvider) === this.loggerProvider;
    const refused = Object.entries(this.globals)
      .filter(([, registered]) => !registered)
      .map(([signal]) => signal);
    if (refused.length > 0) {
      this.diagnostics.warning(
        `register_global: the global OTel ${refused.join(', ')} provider${refused.length > 1 ? 's are' : ' is'} ` +
          'already set (by your OTel SDK or another run) and stays with its owner; this run did ' +
          'not register its own',
      );
    }
    const contextManager = new AsyncLocalStorageContextManager();
    if (!context.setGlobalContextManager(contextManager.enable())) contextManager.disable();
    return refused.length === 0;
  }

  /** Writes queued training events to the step-aware exporters now, synchronously (process exit). */
  flushEventsSync(): void {
    this.eventProcessor?.flushSync();
  }

  /** Flushes every provider. Never rejects: a failed export is reported, not thrown into training. */
  async forceFlush(): Promise<void> {
    await Promise.all([
      this.settle('flushing spans', this.tracerProvider.forceFlush()),
      this.settle('flushing log records', this.loggerProvider.forceFlush()),
      this.settle('flushing metrics', this.meterProvider.forceFlush()),
      this.settle('flushing metrics', this.runMeterProvider.forceFlush()),
    ]);
  }

  async shutdown(): Promise<void> {
    // Free the globals this run holds for the next run of this process.
    if (this.globals.metrics) metrics.disable();
    if (this.globals.trace) trace.disable();
    if (this.globals.logs) globalLogsApi().disable();
    Object.assign(this.globals, { metrics: false, trace: false, logs: false });
    // Queued events reach the step-aware sinks first, so that the final metric collection places
    // other instruments at the latest step; then all providers shut down at once, so that a slow
    // or unreachable OTLP receiver costs its timeout once, not once per signal. (A sink closes
    // after both of its exporters: see SinkLifetime.)
    this.eventProcessor?.handOver();
    await Promise.all([
      this.settle('shutting down spans', this.tracerProvider.shutdown()),
      this.settle('shutting down metrics', this.meterProvider.shutdown()),
      this.settle('shutting down metrics', this.runMeterProvider.shutdown()),
      this.settle('shutting down log records', this.loggerProvider.shutdown()),
    ]);
  }

  /** Tells every backend that the run stopped waiting for it (see `TelemetryBackend.abandon`). */
  abandon(): void {
    for (const backend of this.backends) backend.abandon?.();
  }

  /** Waits for `work`; a failure (an OTLP receiver that is down) becomes a warning. */
  private async settle(what: string, work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (error) {
      const errors = Array.isArray(error) ? error : [error];
      const reasons = [...new Set(errors.map((e) => (e instanceof Error ? e.message : String(e))))];
      this.diagnostics.warning(`${what} failed; what it held is lost: ${reasons.join('; ')}`);
    }
  }
}

/** One call that gives a ready-made record to the event processor and every reading processor. */
function fanOut(
  events: TrainingEventProcessor | undefined,
  readers: readonly ReadingLogRecordProcessor[],
): ((record: ReadableLogRecord) => void) | undefined {
  const targets = [
    ...(events ? [(record: ReadableLogRecord) => events.push(record)] : []),
    // They only read it: the writable half of the SDK's record type is never used.
    ...readers.map(
      (reader) => (record: ReadableLogRecord) => reader.onEmit(record as ReadWriteLogRecord),
    ),
  ];
  if (targets.length <= 1) return targets[0];
  return (record) => {
    for (const target of targets) target(record);
  };
}
