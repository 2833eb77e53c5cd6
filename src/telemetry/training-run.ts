/**
 * A training run on OTel: the provider set its backends share, its identity and its step. Every
 * logger class that writes through OTel (console, TensorBoard, W&B, OTLP, multi) owns one.
 * Beside its own backends, a run sends its spans, instruments and training events to the
 * application's OTel providers, when it has some (see `AppProviders`).
 *
 * `logMetrics` is the hot path. Per key it does one map lookup, one instrument record (a
 * variable write for a gauge, however many meters read it) and one property write; per row, one
 * step-gauge record and one log record for the run's backends (a ready-made one when its
 * processors only read rows, see `TelemetryPipeline.direct`), and one for the
 * application's logger when there is one. Everything else (formatting, encoding, I/O) happens in
 * the exporters, later.
 */
import type { Tracer } from '@opentelemetry/api';
import type { AnyValue, LogRecord } from '@opentelemetry/api-logs';
import { type DiagnosticLogger, escapeControls, OnceWarner } from '../diagnostics.js';
import {
  Attr,
  EventName,
  histogramRecord,
  hparamsRecord,
  INSTRUMENTATION_SCOPE,
  imageRecord,
  MetricsRecord,
  type RunStatus,
  runEndRecord,
  textRecord,
} from '../events/events.js';
import {
  encodeImages,
  type HistogramInput,
  histogramOf,
  type ImageInput,
} from '../events/media.js';
import type { RunIdentity } from '../events/run-identity.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import { otelApi } from '../otel-api.js';
import { maskSecretNames } from '../secrets.js';
import { isPlainObject } from '../values.js';
import { AppProviders, checkProviders, type OTelProviders } from './app-providers.js';
import { activeContext, activeSpanContext } from './call-context.js';
import { within } from './deadline.js';
import {
  type InstrumentKind,
  latestValueGauge,
  MetricKeyTable,
  type RecordValue,
  RunMeters,
} from './instruments.js';
import { TelemetryPipeline } from './pipeline.js';
import { runResource } from './resource.js';

export interface TrainingRunOptions {
  readonly identity: RunIdentity;
  readonly backends: readonly TelemetryBackend[];
  readonly diagnostics: DiagnosticLogger;
  /** Instrument kind per metric key (gauge when not listed). */
  readonly instruments?: Readonly<Record<string, InstrumentKind>>;
  /** Buckets of `logHistogram` for raw values. Default 64. */
  readonly histogramBins?: number;
  /**
   * Make the run's own providers (and a context manager) the global ones, where no other SDK
   * has: for scripts without an OTel SDK of their own. Default false.
   */
  readonly registerGlobally?: boolean;
  /** The application's providers; the ones registered globally are found without this. */
  readonly providers?: OTelProviders;
  /**
   * How long `finish()` may take in all, across every backend, in ms (`flush_timeout`); what a
   * backend has not delivered by then is counted and reported as lost. Default 10 s.
   */
  readonly flushTimeoutMs?: number;
  /**
   * False: the rows' instruments (a gauge per key, `jepa.step`) are recorded on the application's
   * meter only, not on the run's own, which then holds the calls' instruments alone: an
   * AsyncLogger's calling thread, whose worker records the rows. Default true.
   */
  readonly rowInstrumentsOnOwnMeter?: boolean;
}

export interface FinishOptions {
  /** 0 for success; the run is marked failed otherwise. */
  readonly exitCode?: number;
  readonly status?: RunStatus;
}

/** The gauge that carries the step (never an attribute: a per-step label would explode series). */
export const STEP_GAUGE = 'jepa.step';

export class TrainingRun {
  readonly identity: RunIdentity;
  readonly pipeline: TelemetryPipeline;
  /** The meters of the run's instruments: its own when a backend exports them, the app's. */
  readonly meters = new RunMeters();
  /** The meters of the rows' instruments: `meters`, or the application's only (see options). */
  private readonly rowMeters: RunMeters;
  private readonly app: AppProviders;
  /** The pipeline's tracer; without one, the API's no-op tracer, made when first asked for. */
  private ownTracer: Tracer | undefined;
  private readonly keys: MetricKeyTable;
  private readonly recordStep: RecordValue;
  private readonly warner: OnceWarner;
  private readonly emitsRows: boolean;
  private latestStep = -1;
  private finishing: Promise<void> | undefined;

  constructor(private readonly options: TrainingRunOptions) {
    checkProviders(options.providers ?? {});
    this.identity = options.identity;
    this.warner = new OnceWarner(options.diagnostics);
    this.pipeline = new TelemetryPipeline({
      resource: () => runResource(options.identity),
      backends: options.backends,
      diagnostics: options.diagnostics,
    });
    const holdsGlobals = options.registerGlobally === true && this.pipeline.registerGlobally();
    const runMeter = this.pipeline.runMeter;
    if (runMeter) this.meters.add(runMeter);
    const rowMeters = options.rowInstrumentsOnOwnMeter === false ? new RunMeters() : this.meters;
    this.rowMeters = rowMeters;
    this.recordStep = latestValueGauge(rowMeters, STEP_GAUGE, 'training step of the latest row');
    this.keys = new MetricKeyTable({
      meters: rowMeters,
      kinds: options.instruments,
      warner: this.warner,
    });
    this.ownTracer = this.pipeline.tracer;
    this.emitsRows = this.pipeline.consumesEvent(EventName.metrics);
    this.app = new AppProviders(
      INSTRUMENTATION_SCOPE,
      options.providers ?? {},
      !holdsGlobals,
      (meter) => {
        this.meters.add(meter);
        if (rowMeters !== this.meters) rowMeters.add(meter);
      },
    );
    this.app.refresh();
  }

  /** The application's tracer when it has a tracer provider, else the run's own. */
  get tracer(): Tracer {
    this.app.refresh();
    // An API proxy with no delegate is the API's no-op tracer: its spans record nothing.
    this.ownTracer ??= new (otelApi().ProxyTracerProvider)().getTracer(INSTRUMENTATION_SCOPE);
    return this.app.tracer ?? this.ownTracer;
  }

  /** The step of the latest row (-1 before the first). */
  get step(): number {
    return this.latestStep;
  }

  get finished(): boolean {
    return this.finishing !== undefined;
  }

  /** Records one row. Never throws: bad values are dropped with a warning, the rest is kept. */
  logMetrics(metrics: Readonly<Record<string, unknown>>, step?: number): void {
    if (this.finishing) {
      this.warner.warn('finished', `logMetrics after finish() on run ${this.identity.id}: ignored`);
      return;
    }
    if (typeof metrics !== 'object' || metrics === null) {
      this.warner.warn(
        `row:${metrics === null ? 'null' : typeof metrics}`,
        `logMetrics: the row is ${describe(metrics)}, not an object of metrics; nothing logged`,
      );
      return;
    }
    try {
      const at = this.resolveStep(step, true);
      this.app.refresh();
      // Nobody reads rows (a console showing only errors, no OTel anywhere; an AsyncLogger's
      // calling thread, whose worker has the backends): only the step moves.
      if (!this.emitsRows && this.rowMeters.empty && !this.app.logger) return;
      const values: Record<string, number> = {};
      this.collect(metrics, '', values, true);
      this.recordStep(at);
      this.emitRow(at, values);
    } catch (error) {
      this.options.diagnostics.error(`logMetrics failed: ${describe(error)}`);
    }
  }

  /**
   * Records a row at the current step without moving the step: per-call timings of decorated
   * functions. Step-aware backends only; the OTel form of such values is the caller's own
   * instrument (a duration histogram), so none is recorded here.
   */
  logAtCurrentStep(metrics: Readonly<Record<string, number>>): void {
    if (this.finishing) {
      this.warner.warn('finished', `logMetrics after finish() on run ${this.identity.id}: ignored`);
      return;
    }
    if (!this.emitsRows && !this.app.logger) return;
    const values: Record<string, number> = {};
    this.collect(metrics, '', values, false);
    this.emitRow(Math.max(this.latestStep, 0), values);
  }

  logHistogram(tag: string, values: HistogramInput, step?: number): void {
    this.guarded('logHistogram', EventName.histogram, tag, () => {
      const { histogram, skipped } = histogramOf(values, this.options.histogramBins);
      if (skipped > 0) {
        this.warner.warn(
          `histogram-skipped:${tag}`,
          `logHistogram('${tag}'): ${skipped} non-finite values left out`,
        );
      }
      if (!histogram) {
        this.warner.warn(
          `histogram-empty:${tag}`,
          `logHistogram('${tag}'): no finite values; nothing logged`,
        );
        return;
      }
      this.emit(histogramRecord(this.resolveStep(step, false), tag, histogram));
    });
  }

  logImage(tag: string, images: ImageInput, step?: number): void {
    this.guarded('logImage', EventName.image, tag, () => {
      const at = this.resolveStep(step, false);
      encodeImages(images).forEach((image, index) => {
        this.emit(imageRecord(at, tag, image, index));
      });
    });
  }

  logText(tag: string, text: string, step?: number): void {
    this.guarded('logText', EventName.text, tag, () => {
      this.emit(textRecord(this.resolveStep(step, false), tag, String(text)));
    });
  }

  logHyperparams(
    hparams: Readonly<Record<string, unknown>>,
    metrics: Readonly<Record<string, unknown>> = {},
  ): void {
    this.guarded('logHyperparams', EventName.hparams, 'hparams', () => {
      const numericMetrics: Record<string, number> = {};
      this.collect(metrics, '', numericMetrics, false);
      // Masked as configuration dumps are: no backend, OTLP included, sees a key's value.
      this.emit(hparamsRecord(toAnyValueMap(maskSecretNames(hparams)), numericMetrics));
    });
  }

  /**
   * Emits a log record of this run that another module builds (exceptions, progress, structured
   * records). False when the run is finished (nothing done) or none of its backends reads it.
   */
  emitEvent(record: LogRecord): boolean {
    if (this.finishing) return false;
    return this.emit(record);
  }

  /** Hands a model to every backend that stores models; resolves when all have it. */
  async logModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[] = [],
  ): Promise<void> {
    const keepers = this.options.backends.filter((backend) => backend.logModel);
    await Promise.all(keepers.map((backend) => backend.logModel?.(model, name, aliases)));
  }

  /**
   * Writes queued events to the step-aware backends synchronously; for process exit, where `end`
   * ends the run first (its `jepa.run.end` event, so that W&B gets its exit record and TensorBoard
   * its session end) unless `finish()` did.
   */
  flushSync(end?: FinishOptions): void {
    if (end && !this.finishing) {
      this.finishing = Promise.resolve();
      const exitCode = end.exitCode ?? 0;
      this.emit(runEndRecord(exitCode, end.status ?? (exitCode === 0 ? 'finished' : 'failed')));
    }
    this.pipeline.flushEventsSync();
    this.app.handOver();
  }

  /** Sends everything recorded so far to every backend, and the application's providers. */
  async flush(): Promise<void> {
    await Promise.all([this.pipeline.forceFlush(), this.app.forceFlush()]);
  }

  /** Marks the end of the run, flushes and shuts the providers down. Idempotent. */
  finish(options: FinishOptions = {}): Promise<void> {
    this.finishing ??= (async () => {
      const exitCode = options.exitCode ?? 0;
      const status = options.status ?? (exitCode === 0 ? 'finished' : 'failed');
      this.emit(runEndRecord(exitCode, status));
      this.warner.summary();
      const timeoutMs = this.options.flushTimeoutMs ?? 10_000;
      const shutdown = Promise.all([this.pipeline.shutdown(), this.app.forceFlush()]);
      if (!(await within(shutdown, timeoutMs))) {
        this.options.diagnostics.warning(
          `finish() stopped waiting after flush_timeout (${timeoutMs / 1000} s); what the ` +
            'backends had not delivered by then is reported as lost',
        );
        this.pipeline.abandon();
      }
    })();
    return this.finishing;
  }

  /**
   * A training event to the run's backends (when one reads it) and to the application's logger
   * (when there is one). False when none of the run's backends got it: the caller may then show
   * it another way (an exception on stderr), the application's pipeline being no terminal.
   */
  private emit(record: LogRecord): boolean {
    this.app.refresh();
    const ours = this.pipeline.consumesEvent(record.eventName ?? '');
    if (ours) this.pipeline.emit(record);
    if (this.app.logger) {
      this.app.emit({ ...record, timestamp: Date.now(), context: activeContext() });
    }
    return ours;
  }

  /**
   * The row's event: as a ready-made record when the run's processors only read it (see
   * `TelemetryPipeline.direct`), through the SDK's logger otherwise, and to the application's
   * logger.
   */
  private emitRow(step: number, values: Record<string, number>): void {
    const direct = this.emitsRows ? this.pipeline.direct : undefined;
    const appLogger = this.app.logger;
    if (direct) {
      const span = activeSpanContext();
      direct(new MetricsRecord(this.pipeline.recordOrigin, step, values, Date.now(), span));
      if (!appLogger) return;
    }
    // The direct record keeps `values` as they are: the step goes on a copy then.
    const attributes = direct ? { ...values } : values;
    attributes[Attr.step] = step;
    const record: LogRecord = { eventName: EventName.metrics, attributes };
    if (this.emitsRows && !direct) this.pipeline.emit(record);
    if (appLogger) {
      record.timestamp = Date.now();
      record.context = activeContext();
      this.app.emit(record);
    }
  }

  /**
   * The step a call is logged at. Rows without a step take the next step; media without one take
   * the current step. Invalid steps are warned about and replaced (see docs/bad-input.md).
   */
  private resolveStep(step: unknown, advances: boolean): number {
    let at: number;
    if (typeof step === 'number' && Number.isSafeInteger(step) && step >= 0) {
      at = step;
    } else if (step === undefined || step === null) {
      at = advances ? this.latestStep + 1 : Math.max(this.latestStep, 0);
    } else {
      at = this.repairStep(step, advances);
    }
    if (at < this.latestStep) {
      this.warner.warn(
        'step:decreasing',
        `step went back from ${this.latestStep} to ${at}: kept as given; W&B drops rows below its ` +
          'current step, TensorBoard and the console keep them',
      );
    }
    this.latestStep = at;
    return at;
  }

  private repairStep(step: unknown, advances: boolean): number {
    const next = advances ? this.latestStep + 1 : Math.max(this.latestStep, 0);
    const value = typeof step === 'bigint' ? Number(step) : step;
    if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= 0 &&
      value <= Number.MAX_SAFE_INTEGER
    ) {
      const floored = Math.floor(value);
      if (floored !== value) {
        this.warner.warn(
          'step:fraction',
          `step ${value} is not an integer: logged at step ${floored}`,
        );
      }
      return floored;
    }
    this.warner.warn(
      `step:invalid:${String(step)}`,
      `step ${describe(step)} is not a non-negative integer: logged at the next step (${next}) instead`,
    );
    return next;
  }

  /**
   * Copies the numeric leaves of `metrics` into `out` (nested objects flatten to `a/b`), recording
   * them on their instruments when `record`; warns about each key it drops. Reading is defensive
   * per key: a getter or Proxy trap that throws, a cycle or a nesting too deep costs that key (or
   * that object's keys) alone, and the work stays linear in the row's size.
   */
  private collect(
    metrics: Readonly<Record<string, unknown>>,
    prefix: string,
    out: Record<string, number>,
    record: boolean,
    ancestors: readonly object[] = [],
  ): void {
    try {
      for (const name in metrics) {
        const key = prefix ? `${prefix}/${name}` : name;
        let value: unknown;
        try {
          value = metrics[name];
        } catch (error) {
          this.dropKey('read', key, `reading it threw: ${describe(error)}`);
          continue;
        }
        if (typeof value !== 'number') {
          if (isNested(value)) {
            if (ancestors.includes(value) || value === metrics) {
              this.dropKey('cycle', key, 'it refers back to an object that holds it (a cycle)');
            } else if (ancestors.length >= MAX_NESTING) {
              this.dropKey('depth', key, `it is nested more than ${MAX_NESTING} levels deep`);
            } else {
              this.collect(value, key, out, record, [...ancestors, metrics]);
            }
            continue;
          }
          const coerced = this.coerce(key, value);
          if (coerced === undefined) {
            // The same key earlier in the row (`{a: {b: 1}, 'a/b': null}`): the later value wins.
            delete out[key];
            continue;
          }
          value = coerced;
        }
        const recordValue = this.keys.slot(key);
        if (!recordValue) continue;
        if (record) recordValue(value as number);
        out[key] = value as number;
      }
      if (Object.getOwnPropertySymbols(metrics).length > 0) {
        const holder = prefix === '' ? 'the row' : `'${keyLabel(prefix)}'`;
        this.warner.warn(
          `symbol:${prefix}`,
          `logMetrics: the symbol keys of ${holder} were dropped: metric names are strings`,
        );
      }
    } catch (error) {
      // A Proxy whose `ownKeys` trap throws: its keys cannot even be listed.
      this.dropKey('keys', prefix, `its keys could not be listed: ${describe(error)}`);
    }
  }

  /** Warns that `key` (the row itself when empty) was dropped, naming it readably. */
  private dropKey(kind: string, key: string, reason: string): void {
    const name = key === '' ? 'the row' : `'${keyLabel(key)}'`;
    this.warner.warn(`${kind}:${key}`, `logMetrics: ${name} was dropped: ${reason}`);
  }

  private coerce(key: string, value: unknown): number | undefined {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value === 'bigint') {
      const number = Number(value);
      if (!Number.isSafeInteger(number)) {
        this.warner.warn(
          `bigint:${key}`,
          `logMetrics: '${keyLabel(key)}' = ${value}n loses precision as a number`,
        );
      }
      return number;
    }
    const hint =
      Array.isArray(value) || ArrayBuffer.isView(value)
        ? 'an array (use logHistogram for distributions)'
        : typeof value === 'string'
          ? 'a string (use logText for text)'
          : value === null || value === undefined
            ? `${value}`
            : `of type ${typeof value}`;
    this.warner.warn(
      `value:${key}:${typeof value}`,
      `logMetrics: '${keyLabel(key)}' was dropped: its value is ${hint}`,
    );
    return undefined;
  }

  private guarded(method: string, eventName: string, tag: string, body: () => void): void {
    if (this.finishing) {
      this.warner.warn(
        `finished:${method}`,
        `${method} after finish() on run ${this.identity.id}: ignored`,
      );
      return;
    }
    if (typeof tag !== 'string' || tag.length === 0) {
      this.options.diagnostics.warning(
        `${method}: the tag must be a non-empty string; nothing logged`,
      );
      return;
    }
    this.app.refresh();
    if (!this.pipeline.consumesEvent(eventName) && !this.app.logger) return;
    try {
      body();
    } catch (error) {
      this.options.diagnostics.warning(`${method}('${tag}') logged nothing: ${describe(error)}`);
    }
  }
}

function toAnyValueMap(values: Readonly<Record<string, unknown>>): Record<string, AnyValue> {
  const out: Record<string, AnyValue> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    if (typeof value === 'bigint') out[key] = Number(value);
    else if (isPlainObject(value)) out[key] = toAnyValueMap(value);
    else if (Array.isArray(value))
      out[key] = value.map((item) => toAnyValueMap({ item }).item ?? null);
    else if (value instanceof Date) out[key] = value.toISOString();
    else out[key] = value as AnyValue;
  }
  return out;
}

/** Nested objects are flattened to `a/b` keys up to this depth. */
const MAX_NESTING = 32;
/** Longest key a warning shows in full. */
const MAX_KEY_LABEL = 120;

/** A key as a warning shows it: control characters escaped, long keys cut. */
function keyLabel(key: string): string {
  const cut = key.length > MAX_KEY_LABEL ? `${key.slice(0, MAX_KEY_LABEL)}…` : key;
  return escapeControls(cut);
}

/** An object whose keys are flattened into the row: a plain object, or a Proxy of one. */
function isNested(value: unknown): value is Readonly<Record<string, unknown>> {
  try {
    return isPlainObject(value);
  } catch {
    // A Proxy whose `getPrototypeOf` trap throws: read its keys as those of a plain object.
    return true;
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}
