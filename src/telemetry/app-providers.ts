/**
 * The application's OTel providers: the ones it passes in, or the ones its SDK (a started
 * `NodeSDK`, a `provider.register()`) set on the global API. A run sends its spans, instruments
 * and training events to them, beside its own backends, and never claims the globals itself
 * unless asked (`register_global`).
 *
 * The globals are looked up lazily: an application often starts its SDK after a library created
 * its logger. Traces and logs have proxies in the API that start delegating once a provider is
 * registered, but metrics have none (a meter taken before registration is a no-op for good), so
 * a run asks again until it has found all three (see `AppProviders.refresh`).
 */
import type { Meter, MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api';
import type {
  Logger,
  LogRecord,
  LoggerProvider as LogsLoggerProvider,
  logs,
} from '@opentelemetry/api-logs';
import { OtelGlobalsWatch, otelApi, otelApiInUse, otelApiLogs } from '../otel-api.js';

export type AppTracerProvider = TracerProvider;
export type AppMeterProvider = MeterProvider;
export type AppLoggerProvider = LogsLoggerProvider;

/** Providers an application passes to `createLogger(config, { tracerProvider, ... })`. */
export interface OTelProviders {
  /** Decorated spans (and their exception events) go here. */
  readonly tracerProvider?: AppTracerProvider;
  /** Every metric key, the step gauge and the call instruments are instruments of its meter. */
  readonly meterProvider?: AppMeterProvider;
  /** Training events (rows, media, hyperparameters, exceptions, the run's end) go here. */
  readonly loggerProvider?: AppLoggerProvider;
}

const PROVIDER_METHODS = {
  tracerProvider: 'getTracer',
  meterProvider: 'getMeter',
  loggerProvider: 'getLogger',
} as const satisfies Record<keyof OTelProviders, string>;

/** Throws a TypeError naming the option when a given provider is not one. */
export function checkProviders(providers: OTelProviders): void {
  for (const [option, method] of Object.entries(PROVIDER_METHODS)) {
    const provider = providers[option as keyof OTelProviders];
    if (provider === undefined) continue;
    if (typeof (provider as unknown as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new TypeError(
        `option '${option}' is not an OTel ${option.replace(/^./, (c) => c.toUpperCase())} ` +
          `(it has no ${method}() method): pass the provider itself, e.g. from your NodeSDK setup`,
      );
    }
  }
}

/**
 * Providers this package made, as registered globals: never mistaken for the application's (a
 * second run of a process whose first run registered its providers must not feed the first).
 */
const ownProviders = new WeakSet<object>();

export function markOwnProvider(provider: object): void {
  ownProviders.add(provider);
}

/**
 * The logs API where the application's SDK registers its logger provider: the one inside
 * `@opentelemetry/api` from 1.10 (OTel JS 3.x), else `@opentelemetry/api-logs` (2.x).
 */
export function globalLogsApi(): typeof logs {
  return (otelApi() as { logs?: typeof logs }).logs ?? otelApiLogs().logs;
}

/** What a global tracer provider delegates to when nothing is registered. */
let noopTracerProvider: AppTracerProvider | undefined;

function registeredTracerProvider(): AppTracerProvider | undefined {
  const { trace, ProxyTracerProvider } = otelApi();
  noopTracerProvider ??= new ProxyTracerProvider().getDelegate();
  let provider: AppTracerProvider = trace.getTracerProvider();
  if (provider instanceof ProxyTracerProvider) provider = provider.getDelegate();
  return provider === noopTracerProvider || ownProviders.has(provider) ? undefined : provider;
}

function registeredMeterProvider(scope: string): AppMeterProvider | undefined {
  const { metrics, createNoopMeter } = otelApi();
  const provider = metrics.getMeterProvider();
  if (ownProviders.has(provider) || provider.getMeter(scope) === createNoopMeter()) return;
  return provider;
}

interface LoggerProxy {
  _getDelegate?(): AppLoggerProvider;
  _getDelegateLogger?(name: string): Logger | undefined;
}

function registeredLoggerProvider(scope: string): AppLoggerProvider | undefined {
  const provider = globalLogsApi().getLoggerProvider();
  const proxy = provider as LoggerProxy;
  if (typeof proxy._getDelegateLogger !== 'function') {
    return ownProviders.has(provider) ? undefined : provider;
  }
  if (proxy._getDelegateLogger(scope) === undefined) return undefined;
  const delegate = proxy._getDelegate?.() ?? provider;
  return ownProviders.has(delegate) ? undefined : delegate;
}

interface Flushable {
  forceFlush?(): Promise<void>;
}

/**
 * Events queued for the application's logger before they are handed over: enough for a loop
 * that never yields to hand them over in batches, few enough to bound memory.
 */
const MAX_QUEUED_EVENTS = 256;

/** The application's tracer, meter and logger for one instrumentation scope, as far as found. */
export class AppProviders {
  tracer: Tracer | undefined;
  meter: Meter | undefined;
  logger: Logger | undefined;
  /** The providers of `tracer` and `logger`: what the run flushes when it flushes. */
  private readonly flushed: Flushable[] = [];
  /** False once every provider is known (given, found on the globals, or ours). */
  private searching = true;
  private readonly globals = new OtelGlobalsWatch();
  private meterBound = false;
  /** Events for `logger`, in order, handed over on the next turn (see `emit`). */
  private queue: LogRecord[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly handOverLater = () => this.handOver();

  /**
   * @param searchGlobals Look for registered providers (false when this run holds the globals).
   * @param onMeter Called once, when the application's meter is known (given or found later).
   */
  constructor(
    private readonly scope: string,
    given: OTelProviders,
    private readonly searchGlobals: boolean,
    private readonly onMeter: (meter: Meter) => void,
  ) {
    checkProviders(given);
    this.tracer = this.take(given.tracerProvider)?.getTracer(scope);
    this.meter = given.meterProvider?.getMeter(scope);
    this.logger = this.take(given.loggerProvider)?.getLogger(scope);
  }

  /**
   * Queues a training event for the application's logger, which gets it on the next turn of the
   * event loop (or at once when a batch is queued): what its SDK does per record (validating and
   * copying every attribute, its processors) stays off the logging call, as our own exporters'
   * work does. The record keeps the time and span context of the call.
   */
  emit(record: LogRecord): void {
    if (!this.logger) return;
    const queued = this.queue.push(record);
    if (queued >= MAX_QUEUED_EVENTS) this.handOver();
    else this.scheduled ??= setImmediate(this.handOverLater).unref();
  }

  /** Hands the queued events to the application's logger now. */
  handOver(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    for (const record of batch) this.logger?.emit(record);
  }

  /**
   * Hands the queued events over, and flushes the application's tracer and logger providers, so
   * that the run's spans and events are exported before the application shuts its SDK down (a
   * `SimpleLogRecordProcessor` shuts its exporter down without waiting for exports still in
   * flight). Never rejects.
   */
  async forceFlush(): Promise<void> {
    this.handOver();
    await Promise.all(this.flushed.map((provider) => provider.forceFlush?.().catch(() => {})));
  }

  private take<P extends object>(provider: P | undefined): P | undefined {
    if (provider) this.flushed.push(provider as Flushable);
    return provider;
  }

  /**
   * Looks for the providers not found yet on the global API. Cheap (a few property reads) while
   * no provider is registered or removed, and a no-op once all three are known: called on every
   * row, so that rows logged right after the application's SDK starts reach it.
   */
  refresh(): void {
    if (!this.searching) return;
    const { scope } = this;
    // Nothing registered an OTel global yet, or nothing new: there is nothing to find.
    if (this.searchGlobals && this.globals.changed() && otelApiInUse()) {
      this.tracer ??= this.take(registeredTracerProvider())?.getTracer(scope);
      this.logger ??= this.take(registeredLoggerProvider(scope))?.getLogger(scope);
      this.meter ??= registeredMeterProvider(scope)?.getMeter(scope);
    }
    if (this.meter && !this.meterBound) {
      this.meterBound = true;
      this.onMeter(this.meter);
    }
    this.searching = this.searchGlobals && !(this.tracer && this.meter && this.logger);
  }
}
