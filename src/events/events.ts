/**
 * The training events: OTel log records with one documented `event.name` each. They carry what
 * step-aware backends (console, TensorBoard, W&B) need losslessly and in order, whatever the
 * metric export interval, and they travel through OTLP and the Collector like any log record, so
 * any language that emits them reaches those backends through the bridge. docs/events.md is the
 * reference for producers outside this package.
 */
import type { HrTime, SpanContext } from '@opentelemetry/api';
import type {
  AnyValue,
  AnyValueMap,
  LogAttributes,
  LogBody,
  LogRecord,
  SeverityNumber,
} from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

/**
 * The instrumentation scope of everything a run records; metric exporters tell the run's own
 * instruments from the app's by it.
 */
export const INSTRUMENTATION_SCOPE = 'jepa-loggers';

/**
 * The logs API's `SeverityNumber` values the events use, spelled out: making a record must not
 * load `@opentelemetry/api-logs` (a console logger loads no OTel package; src/otel-api.ts).
 * test/events/events.test.ts checks them against the API's.
 */
export const Severity = {
  INFO: 9 as SeverityNumber.INFO,
  ERROR: 17 as SeverityNumber.ERROR,
} as const;

export const EventName = {
  /** One `logMetrics` row: the step and every value as attributes. */
  metrics: 'jepa.metrics',
  /** One histogram (TensorBoard `HistogramProto` semantics). */
  histogram: 'jepa.histogram',
  /** One PNG image; a batch is one event per image. */
  image: 'jepa.image',
  /** Text (markdown). */
  text: 'jepa.text',
  /** The run's hyperparameters and the metrics that judge them. */
  hparams: 'jepa.hparams',
  /** The end of the run, with its exit code. */
  runEnd: 'jepa.run.end',
  /** An exception a decorated function raised (OTel semantic-convention attributes). */
  exception: 'jepa.exception',
  /** The length of the training loop: the step at which it is complete (progress bars). */
  progress: 'jepa.progress',
  /**
   * One sample of host, process, runtime and GPU metrics (see `SystemMetrics`), under OTel
   * semantic-convention names; at no step of its own (backends place it at their latest).
   */
  system: 'jepa.system',
} as const;

/** Attribute keys of the events. Metric keys beginning with `jepa.` are reserved for these. */
export const Attr = {
  step: 'jepa.step',
  tag: 'jepa.tag',
  histogramMin: 'jepa.histogram.min',
  histogramMax: 'jepa.histogram.max',
  histogramCount: 'jepa.histogram.count',
  histogramSum: 'jepa.histogram.sum',
  histogramSumSquares: 'jepa.histogram.sum_squares',
  /** Right edges: bucket i spans (limits[i-1], limits[i]], bucket 0 starts at the minimum. */
  histogramBucketLimits: 'jepa.histogram.bucket_limits',
  histogramBucketCounts: 'jepa.histogram.bucket_counts',
  imageWidth: 'jepa.image.width',
  imageHeight: 'jepa.image.height',
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  imageChannels: 'jepa.image.channels',
  /** Position of the image within its batch. */
  imageIndex: 'jepa.image.index',
  exitCode: 'jepa.run.exit_code',
  runStatus: 'jepa.run.status',
  progressTotal: 'jepa.progress.total',
  // OTel semantic conventions, so that exception events read like any other OTel exception.
  exceptionType: 'exception.type',
  exceptionMessage: 'exception.message',
  exceptionStacktrace: 'exception.stacktrace',
  functionName: 'code.function.name',
} as const;

/** The attribute other OTel producers use for the event name (older SDKs have no field for it). */
export const EVENT_NAME_ATTRIBUTE = 'event.name';
export const RESERVED_KEY_PREFIX = 'jepa.';

export interface HistogramData {
  readonly min: number;
  readonly max: number;
  readonly count: number;
  readonly sum: number;
  readonly sumSquares: number;
  readonly bucketLimits: readonly number[];
  readonly bucketCounts: readonly number[];
}

export type RunStatus = 'finished' | 'failed' | 'interrupted';

interface At {
  /** Unix time in milliseconds (fractional). */
  readonly timeMs: number;
}
export interface MetricsEvent extends At {
  readonly kind: 'metrics';
  readonly step: number;
  readonly values: Readonly<Record<string, number>>;
}
export interface HistogramEvent extends At {
  readonly kind: 'histogram';
  readonly step: number;
  readonly tag: string;
  readonly histogram: HistogramData;
}
export interface ImageEvent extends At {
  readonly kind: 'image';
  readonly step: number;
  readonly tag: string;
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly index: number;
}
export interface TextEvent extends At {
  readonly kind: 'text';
  readonly step: number;
  readonly tag: string;
  readonly text: string;
}
export interface HparamsEvent extends At {
  readonly kind: 'hparams';
  readonly hparams: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, number>>;
}
export interface RunEndEvent extends At {
  readonly kind: 'runEnd';
  readonly exitCode: number;
  readonly status: RunStatus;
}
export interface ExceptionEvent extends At {
  readonly kind: 'exception';
  readonly step: number;
  /** The exception's class name (`TypeError`). */
  readonly type: string;
  readonly message: string;
  readonly stacktrace?: string;
  /** The function it escaped from. */
  readonly functionName?: string;
}
export interface ProgressEvent extends At {
  readonly kind: 'progress';
  /** The step at which the training loop is complete. */
  readonly total: number;
}
export interface SystemEvent extends At {
  readonly kind: 'system';
  /** Instrument name (`name/attribute=value` for a point with one, a GPU's) -> value. */
  readonly values: Readonly<Record<string, number>>;
}
export type TrainingEvent =
  | SystemEvent
  | MetricsEvent
  | HistogramEvent
  | ImageEvent
  | TextEvent
  | HparamsEvent
  | RunEndEvent
  | ExceptionEvent
  | ProgressEvent;

/** The parts of a log record decoding needs: an SDK `ReadableLogRecord` or one the bridge built. */
export interface LogRecordLike {
  readonly eventName?: string;
  readonly hrTime: readonly [number, number];
  readonly body?: AnyValue;
  readonly attributes: LogAttributes;
}

const EVENT_NAMES: ReadonlySet<string> = new Set(Object.values(EventName));

export function isTrainingEventName(name: string | undefined): boolean {
  return name !== undefined && EVENT_NAMES.has(name);
}

export function eventNameOf(
  record: Pick<LogRecordLike, 'eventName' | 'attributes'>,
): string | undefined {
  if (record.eventName) return record.eventName;
  const attribute = record.attributes[EVENT_NAME_ATTRIBUTE];
  return typeof attribute === 'string' ? attribute : undefined;
}

// ---- encoding (producers) ----

export function histogramRecord(step: number, tag: string, h: HistogramData): LogRecord {
  return {
    eventName: EventName.histogram,
    attributes: {
      [Attr.step]: step,
      [Attr.tag]: tag,
      [Attr.histogramMin]: h.min,
      [Attr.histogramMax]: h.max,
      [Attr.histogramCount]: h.count,
      [Attr.histogramSum]: h.sum,
      [Attr.histogramSumSquares]: h.sumSquares,
      [Attr.histogramBucketLimits]: [...h.bucketLimits],
      [Attr.histogramBucketCounts]: [...h.bucketCounts],
    },
  };
}

export interface EncodedImage {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

export function imageRecord(
  step: number,
  tag: string,
  image: EncodedImage,
  index: number,
): LogRecord {
  return {
    eventName: EventName.image,
    body: image.png,
    attributes: {
      [Attr.step]: step,
      [Attr.tag]: tag,
      [Attr.imageWidth]: image.width,
      [Attr.imageHeight]: image.height,
      [Attr.imageChannels]: image.channels,
      [Attr.imageIndex]: index,
    },
  };
}

export function textRecord(step: number, tag: string, text: string): LogRecord {
  return {
    eventName: EventName.text,
    body: text,
    attributes: { [Attr.step]: step, [Attr.tag]: tag },
  };
}

export function hparamsRecord(
  hparams: Readonly<Record<string, AnyValue>>,
  metrics: Readonly<Record<string, number>>,
): LogRecord {
  return {
    eventName: EventName.hparams,
    body: { hparams: { ...hparams }, metrics: { ...metrics } },
  };
}

export function runEndRecord(exitCode: number, status: RunStatus): LogRecord {
  return {
    eventName: EventName.runEnd,
    attributes: { [Attr.exitCode]: exitCode, [Attr.runStatus]: status },
  };
}

export interface ExceptionInfo {
  readonly type: string;
  readonly message: string;
  readonly stacktrace?: string;
  readonly functionName?: string;
}

export function exceptionRecord(step: number, exception: ExceptionInfo): LogRecord {
  return {
    eventName: EventName.exception,
    severityNumber: Severity.ERROR,
    severityText: 'ERROR',
    attributes: {
      [Attr.step]: step,
      [Attr.exceptionType]: exception.type,
      [Attr.exceptionMessage]: exception.message,
      ...(exception.stacktrace ? { [Attr.exceptionStacktrace]: exception.stacktrace } : {}),
      ...(exception.functionName ? { [Attr.functionName]: exception.functionName } : {}),
    },
  };
}

export function progressRecord(total: number): LogRecord {
  return { eventName: EventName.progress, attributes: { [Attr.progressTotal]: total } };
}

export function systemRecord(values: Readonly<Record<string, number>>): LogRecord {
  return { eventName: EventName.system, attributes: { ...values } };
}

/** Where a run's own records come from: its resource and instrumentation scope. */
export interface RecordOrigin {
  readonly resource: Resource;
  readonly instrumentationScope: ReadableLogRecord['instrumentationScope'];
}

/**
 * A training event as the SDK's `Logger` records it, made without the SDK: what a run hands its
 * log processors directly when they only read records (see `TelemetryPipeline.emit`), so that a
 * run without an OTLP backend needs neither a `LoggerProvider` nor its package. Like the SDK, it
 * keeps the span context only when it is a valid one (`TelemetryPipeline.emit` checks it).
 */
export class EventRecord implements ReadableLogRecord {
  readonly hrTime: HrTime;
  readonly hrTimeObserved: HrTime;
  readonly eventName?: string;
  readonly severityNumber?: SeverityNumber;
  readonly severityText?: string;
  readonly body?: LogBody;
  readonly attributes: LogAttributes;
  readonly droppedAttributesCount = 0;

  constructor(
    private readonly origin: RecordOrigin,
    record: LogRecord,
    readonly spanContext: SpanContext | undefined,
  ) {
    const now = Date.now();
    this.hrTime = toHrTime(record.timestamp ?? now);
    this.hrTimeObserved = toHrTime(record.observedTimestamp ?? now);
    this.eventName = record.eventName;
    this.severityNumber = record.severityNumber;
    this.severityText = record.severityText;
    this.body = record.body;
    this.attributes = { ...record.attributes };
  }

  get resource(): Resource {
    return this.origin.resource;
  }

  get instrumentationScope(): RecordOrigin['instrumentationScope'] {
    return this.origin.instrumentationScope;
  }
}

/** An OTel `TimeInput` as `HrTime`, read as the SDK reads it. */
function toHrTime(time: NonNullable<LogRecord['timestamp']>): HrTime {
  if (Array.isArray(time)) return time as HrTime;
  if (time instanceof Date) return millisToHrTime(time.getTime());
  // A number below half the process's start time is a `performance.now()` reading.
  return millisToHrTime(time < performance.timeOrigin / 2 ? performance.timeOrigin + time : time);
}

/** Epoch milliseconds as `HrTime`, to the nanosecond (the SDK's arithmetic). */
function millisToHrTime(epochMillis: number): HrTime {
  return [Math.trunc(epochMillis / 1000), Math.round((epochMillis % 1000) * 1e6)];
}

/**
 * A row as a complete OTel `ReadableLogRecord`, made without the SDK's `Logger`: what a run hands
 * its log processors directly when they only read records (see `TelemetryPipeline.emit`).
 * The row is already valid (numbers under non-empty keys),
 * so the SDK's per-attribute validation and copying would buy nothing. It carries its decoded
 * event, shared by every exporter; its attributes (the values and the step) are made only if
 * some exporter reads them.
 */
export class MetricsRecord implements ReadableLogRecord {
  readonly eventName = EventName.metrics;
  readonly droppedAttributesCount = 0;
  readonly event: MetricsEvent;
  private time: HrTime | undefined;
  private attributeMap: LogAttributes | undefined;

  constructor(
    private readonly origin: RecordOrigin,
    step: number,
    values: Readonly<Record<string, number>>,
    timeMs: number,
    /** The active span's context, as the SDK records it: rows logged inside a span point to it. */
    readonly spanContext: SpanContext | undefined,
  ) {
    this.event = { kind: 'metrics', timeMs, step, values };
  }

  get resource(): Resource {
    return this.origin.resource;
  }

  get instrumentationScope(): RecordOrigin['instrumentationScope'] {
    return this.origin.instrumentationScope;
  }

  get hrTime(): HrTime {
    this.time ??= millisToHrTime(this.event.timeMs);
    return this.time;
  }

  get hrTimeObserved(): HrTime {
    return this.hrTime;
  }

  get attributes(): LogAttributes {
    this.attributeMap ??= { ...this.event.values, [Attr.step]: this.event.step };
    return this.attributeMap;
  }
}

// ---- decoding (consumers) ----

/**
 * Turns a log record into a training event, or `undefined` when it is not one or is malformed
 * (a producer outside this package may send anything; the bridge reports what it skipped).
 */
export function decodeTrainingEvent(record: LogRecordLike): TrainingEvent | undefined {
  if (record instanceof MetricsRecord) return record.event;
  const name = eventNameOf(record);
  const a = record.attributes;
  const timeMs = record.hrTime[0] * 1e3 + record.hrTime[1] / 1e6;
  switch (name) {
    case EventName.metrics: {
      const step = asStep(a[Attr.step]);
      if (step === undefined) return undefined;
      const values: Record<string, number> = {};
      for (const key in a) {
        if (key.startsWith(RESERVED_KEY_PREFIX) || key === EVENT_NAME_ATTRIBUTE) continue;
        const value = asNumber(a[key]);
        if (value !== undefined) values[key] = value;
      }
      return { kind: 'metrics', timeMs, step, values };
    }
    case EventName.histogram: {
      const step = asStep(a[Attr.step]);
      const tag = a[Attr.tag];
      const limits = asNumbers(a[Attr.histogramBucketLimits]);
      const counts = asNumbers(a[Attr.histogramBucketCounts]);
      if (step === undefined || typeof tag !== 'string' || !limits || !counts) return undefined;
      if (limits.length !== counts.length) return undefined;
      const histogram: HistogramData = {
        min: asNumber(a[Attr.histogramMin]) ?? Number.NaN,
        max: asNumber(a[Attr.histogramMax]) ?? Number.NaN,
        count: asNumber(a[Attr.histogramCount]) ?? counts.reduce((s, c) => s + c, 0),
        sum: asNumber(a[Attr.histogramSum]) ?? Number.NaN,
        sumSquares: asNumber(a[Attr.histogramSumSquares]) ?? Number.NaN,
        bucketLimits: limits,
        bucketCounts: counts,
      };
      return { kind: 'histogram', timeMs, step, tag, histogram };
    }
    case EventName.image: {
      const step = asStep(a[Attr.step]);
      const tag = a[Attr.tag];
      const png = record.body;
      if (step === undefined || typeof tag !== 'string' || !(png instanceof Uint8Array))
        return undefined;
      return {
        kind: 'image',
        timeMs,
        step,
        tag,
        png,
        width: asNumber(a[Attr.imageWidth]) ?? 0,
        height: asNumber(a[Attr.imageHeight]) ?? 0,
        channels: asNumber(a[Attr.imageChannels]) ?? 0,
        index: asNumber(a[Attr.imageIndex]) ?? 0,
      };
    }
    case EventName.text: {
      const step = asStep(a[Attr.step]);
      const tag = a[Attr.tag];
      if (step === undefined || typeof tag !== 'string' || typeof record.body !== 'string') {
        return undefined;
      }
      return { kind: 'text', timeMs, step, tag, text: record.body };
    }
    case EventName.hparams: {
      const body = record.body;
      if (!isMap(body) || !isMap(body.hparams)) return undefined;
      const metrics: Record<string, number> = {};
      if (isMap(body.metrics)) {
        for (const [key, value] of Object.entries(body.metrics)) {
          const number = asNumber(value);
          if (number !== undefined) metrics[key] = number;
        }
      }
      return { kind: 'hparams', timeMs, hparams: body.hparams, metrics };
    }
    case EventName.runEnd: {
      const exitCode = asNumber(a[Attr.exitCode]) ?? 0;
      const status = a[Attr.runStatus];
      return {
        kind: 'runEnd',
        timeMs,
        exitCode,
        status:
          status === 'failed' || status === 'interrupted' || status === 'finished'
            ? status
            : exitCode === 0
              ? 'finished'
              : 'failed',
      };
    }
    case EventName.exception: {
      const step = asStep(a[Attr.step]);
      const type = a[Attr.exceptionType];
      const message = a[Attr.exceptionMessage];
      if (step === undefined || typeof type !== 'string') return undefined;
      const stacktrace = a[Attr.exceptionStacktrace];
      const functionName = a[Attr.functionName];
      return {
        kind: 'exception',
        timeMs,
        step,
        type,
        message: typeof message === 'string' ? message : '',
        ...(typeof stacktrace === 'string' ? { stacktrace } : {}),
        ...(typeof functionName === 'string' ? { functionName } : {}),
      };
    }
    case EventName.system: {
      const values: Record<string, number> = {};
      for (const key in a) {
        const value = asNumber(a[key]);
        if (value !== undefined && key !== EVENT_NAME_ATTRIBUTE) values[key] = value;
      }
      return { kind: 'system', timeMs, values };
    }
    case EventName.progress: {
      const total = asStep(a[Attr.progressTotal]);
      return total === undefined || total < 0 ? undefined : { kind: 'progress', timeMs, total };
    }
    default:
      return undefined;
  }
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function asStep(value: unknown): number | undefined {
  const step = asNumber(value);
  return step !== undefined && Number.isInteger(step) ? step : undefined;
}

function asNumbers(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const numbers: number[] = [];
  for (const item of value) {
    const number = asNumber(item);
    if (number === undefined) return undefined;
    numbers.push(number);
  }
  return numbers;
}

function isMap(value: unknown): value is AnyValueMap {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}
