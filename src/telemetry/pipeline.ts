/**
 * One run's own OTel providers (metrics, logs, traces), assembled from its backends. They are
 * private to the run unless it is asked to register them globally (`register_global`); the
 * application's own providers are found apart (see `AppProviders`).
 *
 * A provider is made only when something needs it, and the SDK package behind it is loaded only
 * then (see `otel-sdk.ts`): training events go to processors that only read them (the step-aware
 * exporters', OTLP's) as ready-made records, without a `LoggerProvider`; a tracer provider exists
 * when a backend takes spans; meter providers when a backend reads their instruments. A console,
 * TensorBoard or W&B run so loads none of the SDK.
 */
import type { Meter, Tracer } from '@opentelemetry/api';
import type { Logger, LogRecord } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import type {
  LoggerProvider,
  LogRecordProcessor,
  ReadableLogRecord,
  ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { DiagnosticLogger } from '../diagnostics.js';
import { EventRecord, INSTRUMENTATION_SCOPE, type RecordOrigin } from '../events/events.js';
import {
  isReadingProcessor,
  type ReadingLogRecordProcessor,
  type TelemetryBackend,
} from '../exporters/backend.js';
import { otelApi, otelApiInUse } from '../otel-api.js';
import { contextAsyncHooks, sdkLogs, sdkMetrics, sdkTrace } from '../otel-sdk.js';
import { globalLogsApi, markOwnProvider } from './app-providers.js';
import { TrainingEventProcessor } from './event-processor.js';

export const MAX_ROW_ATTRIBUTES = 100_000;

export interface TelemetryPipelineOptions {
  /** The run's resource, made when a record or a provider first needs it. */
  readonly resource: () => Resource;
  readonly backends: readonly TelemetryBackend[];
  readonly diagnostics: DiagnosticLogger;
  /** See `TrainingEventProcessorOptions.maxQueueSize`. */
  readonly maxEventQueueSize?: number;
}

export class TelemetryPipeline {
  /** True when some backend exports the run's own instruments (see `TelemetryBackend`). */
  readonly exportsRunInstruments: boolean;
  /**
   * Hands a ready-made record (`MetricsRecord`, `EventRecord`) to every log processor of the run,
   * instead of going through the SDK's `Logger`: possible when they all only read what they get
   * (the step-aware exporters' processor, the OTLP backend's). Undefined when some other
   * processor (a user's) must get the records as the SDK makes them, or when none reads events.
   */
  readonly direct: ((record: ReadableLogRecord) => void) | undefined;
  /** The resource and scope of the run's own log records. */
  readonly recordOrigin: RecordOrigin;
  private readonly consumedEvents: ReadonlySet<string> | 'all';
  private readonly eventProcessor: TrainingEventProcessor | undefined;
  private readonly logRecordProcessors: readonly LogRecordProcessor[];
  private readonly diagnostics: DiagnosticLogger;
  private readonly backends: readonly TelemetryBackend[];
  private readonly resource: () => Resource;
  private logs: LoggerProvider | undefined;
  private sdkLogger: Logger | undefined;
  /** Where instruments other than the run's own go: made when the run registers globally. */
  private otherMeters: MeterProvider | undefined;
  /** The run's own instruments, read only by the backends that export them (OTLP). */
  private readonly runMeters: MeterProvider | undefined;
  private traces: TracerProvider | undefined;
  private readonly globals = { metrics: false, trace: false, logs: false };

  constructor(options: TelemetryPipelineOptions) {
    const { backends } = options;
    this.diagnostics = options.diagnostics;
    this.backends = backends;
    let resource: Resource | undefined;
    this.resource = () => {
      resource ??= options.resource();
      return resource;
    };
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
    this.logRecordProcessors = [
      ...(this.eventProcessor ? [this.eventProcessor] : []),
      ...logRecordProcessors,
    ];
    this.direct = logRecordProcessors.every(isReadingProcessor)
      ? fanOut(this.eventProcessor, logRecordProcessors as ReadingLogRecordProcessor[])
      : undefined;
    const resourceOf = this.resource;
    this.recordOrigin = {
      get resource() {
        return resourceOf();
      },
      instrumentationScope: Object.freeze({ name: INSTRUMENTATION_SCOPE }),
    };
    const runReaders = backends.flatMap((b) => b.runMetricReaders ?? []);
    this.exportsRunInstruments = runReaders.length > 0;
    this.runMeters = this.exportsRunInstruments
      ? new (sdkMetrics().MeterProvider)({ resource: this.resource(), readers: runReaders })
      : undefined;
    if (backends.some((b) => b.spanProcessors?.length)) this.tracerProvider();
    this.consumedEvents =
      logRecordProcessors.length > 0 || backends.some((b) => b.eventExporters?.length && !b.events)
        ? 'all'
        : new Set(backends.flatMap((b) => (b.eventExporters?.length ? (b.events ?? []) : [])));
  }

  /**
   * The run's log provider, made on first use: the bridge emits through it, and a run whose
   * processors do not all only read (see `direct`).
   */
  get loggerProvider(): LoggerProvider {
    this.logs ??= new (sdkLogs().LoggerProvider)({
      resource: this.resource(),
      processors: [...this.logRecordProcessors],
      // A row is one record with an attribute per metric: the default limit of 128 would cut wide rows.
      logRecordLimits: { attributeCountLimit: MAX_ROW_ATTRIBUTES },
    });
    return this.logs;
  }

  /** The meter of the run's own instruments, when a backend exports them. */
  get runMeter(): Meter | undefined {
    return this.runMeters?.getMeter(INSTRUMENTATION_SCOPE);
  }

  /** The run's own tracer, when a backend takes spans or the run holds the global provider. */
  get tracer(): Tracer | undefined {
    return this.traces?.getTracer(INSTRUMENTATION_SCOPE);
  }

  /**
   * A training event to the run's processors: ready-made when they only read (see `direct`),
   * through the SDK's `Logger` otherwise.
   */
  emit(record: LogRecord): void {
    if (this.direct) {
      const api = otelApiInUse();
      const span = api?.trace.getSpanContext(record.context ?? api.context.active());
      this.direct(
        new EventRecord(
          this.recordOrigin,
          record,
          span && api?.isSpanContextValid(span) ? span : undefined,
        ),
      );
      return;
    }
    this.sdkLogger ??= this.loggerProvider.getLogger(INSTRUMENTATION_SCOPE);
    this.sdkLogger.emit(record);
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
    const { context, metrics, trace } = otelApi();
    const logs = globalLogsApi();
    this.otherMeters = new (sdkMetrics().MeterProvider)({
      resource: this.resource(),
      readers: this.backends.flatMap((b) => b.metricReaders?.() ?? []),
    });
    const tracerProvider = this.tracerProvider();
    for (const provider of [this.otherMeters, tracerProvider, this.loggerProvider]) {
      markOwnProvider(provider);
    }
    this.globals.metrics = metrics.setGlobalMeterProvider(this.otherMeters);
    this.globals.trace = trace.setGlobalTracerProvider(tracerProvider);
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
    const contextManager = new (contextAsyncHooks().AsyncLocalStorageContextManager)();
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
      this.settle('flushing spans', this.traces?.forceFlush()),
      this.settle('flushing log records', this.logRecords('forceFlush')),
      this.settle('flushing metrics', this.otherMeters?.forceFlush()),
      this.settle('flushing metrics', this.runMeters?.forceFlush()),
    ]);
  }

  async shutdown(): Promise<void> {
    // Free the globals this run holds for the next run of this process.
    if (this.globals.metrics) otelApi().metrics.disable();
    if (this.globals.trace) otelApi().trace.disable();
    if (this.globals.logs) globalLogsApi().disable();
    Object.assign(this.globals, { metrics: false, trace: false, logs: false });
    // Queued events reach the step-aware sinks first, so that the final metric collection places
    // other instruments at the latest step; then all providers shut down at once, so that a slow
    // or unreachable OTLP receiver costs its timeout once, not once per signal. (A sink closes
    // after both of its exporters: see SinkLifetime.)
    this.eventProcessor?.handOver();
    await Promise.all([
      this.settle('shutting down spans', this.traces?.shutdown()),
      this.settle('shutting down metrics', this.otherMeters?.shutdown()),
      this.settle('shutting down metrics', this.runMeters?.shutdown()),
      this.settle('shutting down log records', this.logRecords('shutdown')),
    ]);
  }

  /** Tells every backend that the run stopped waiting for it (see `TelemetryBackend.abandon`). */
  abandon(): void {
    for (const backend of this.backends) backend.abandon?.();
  }

  /** The run's tracer provider, made on first use. */
  private tracerProvider(): TracerProvider {
    this.traces ??= new (sdkTrace().TracerProvider)({
      resource: this.resource(),
      spanProcessors: this.backends.flatMap((b) => b.spanProcessors ?? []),
    });
    return this.traces;
  }

  /** Flushes or shuts down the log processors: through the log provider when there is one. */
  private logRecords(action: 'forceFlush' | 'shutdown'): Promise<unknown> {
    if (this.logs) return this.logs[action]();
    return Promise.all(this.logRecordProcessors.map((processor) => processor[action]()));
  }

  /** Waits for `work`; a failure (an OTLP receiver that is down) becomes a warning. */
  private async settle(what: string, work: Promise<unknown> | undefined): Promise<void> {
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
