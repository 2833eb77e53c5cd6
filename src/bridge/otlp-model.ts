/**
 * Decoded export requests (`Wire*`, what otlp-codec.ts returns) -> the typed model the bridge works
 * with: attribute maps as OTel `AnyValue`s, timestamps as bigint nanoseconds, ids as hex, metric
 * points with their value. Only what the bridge uses is kept.
 */
import type { AnyValue, AnyValueMap } from '@opentelemetry/api-logs';

// ---- the decoded shape (protobufjs toObject: camelCase, longs as strings, set fields only) ----

interface WireAnyValue {
  readonly value?: string;
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: string;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values?: readonly WireAnyValue[] };
  readonly kvlistValue?: { readonly values?: readonly WireKeyValue[] };
  readonly bytesValue?: Uint8Array;
}
interface WireKeyValue {
  readonly key?: string;
  readonly value?: WireAnyValue;
}
interface WireScope {
  readonly name?: string;
  readonly version?: string;
}
interface WireResource {
  readonly attributes?: readonly WireKeyValue[];
}
interface WireLogRecord {
  readonly timeUnixNano?: string;
  readonly observedTimeUnixNano?: string;
  readonly severityNumber?: number;
  readonly severityText?: string;
  readonly body?: WireAnyValue;
  readonly attributes?: readonly WireKeyValue[];
  readonly eventName?: string;
}
interface WireNumberPoint {
  readonly timeUnixNano?: string;
  readonly value?: 'asDouble' | 'asInt';
  readonly asDouble?: number;
  readonly asInt?: string;
  readonly attributes?: readonly WireKeyValue[];
  readonly flags?: number;
}
interface WireHistogramPoint {
  readonly timeUnixNano?: string;
  readonly count?: string;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly bucketCounts?: readonly string[];
  readonly explicitBounds?: readonly number[];
  readonly attributes?: readonly WireKeyValue[];
  readonly flags?: number;
}
interface WireMetric {
  readonly name?: string;
  readonly unit?: string;
  readonly data?: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  readonly gauge?: { readonly dataPoints?: readonly WireNumberPoint[] };
  readonly sum?: {
    readonly dataPoints?: readonly WireNumberPoint[];
    readonly isMonotonic?: boolean;
  };
  readonly histogram?: { readonly dataPoints?: readonly WireHistogramPoint[] };
  readonly exponentialHistogram?: { readonly dataPoints?: readonly unknown[] };
  readonly summary?: { readonly dataPoints?: readonly unknown[] };
}
interface WireSpan {
  readonly traceId?: Uint8Array;
  readonly spanId?: Uint8Array;
  readonly parentSpanId?: Uint8Array;
  readonly name?: string;
  readonly kind?: number;
  readonly startTimeUnixNano?: string;
  readonly endTimeUnixNano?: string;
  readonly attributes?: readonly WireKeyValue[];
  readonly events?: readonly {
    readonly timeUnixNano?: string;
    readonly name?: string;
    readonly attributes?: readonly WireKeyValue[];
  }[];
  readonly status?: { readonly code?: number; readonly message?: string };
}
interface WireResourceGroup {
  readonly resource?: WireResource;
  readonly [scopeList: string]: unknown;
}

// ---- the model ----

export type Attributes = Record<string, AnyValue>;

export interface OtlpScope {
  readonly name: string;
  readonly version?: string;
}

/** Everything one resource sent in one request, scope by scope. */
export interface ResourceItems<T> {
  readonly resource: Attributes;
  readonly scopes: readonly { readonly scope: OtlpScope; readonly items: readonly T[] }[];
}

export interface OtlpLogRecord {
  /** Unix time in nanoseconds; 0 when the producer did not set it. */
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  readonly severityNumber?: number;
  readonly severityText?: string;
  readonly eventName?: string;
  readonly body?: AnyValue;
  readonly attributes: Attributes;
}

export interface OtlpNumberPoint {
  readonly timeUnixNano: bigint;
  readonly value: number;
  readonly attributes: Attributes;
}

export interface OtlpHistogramPoint {
  readonly timeUnixNano: bigint;
  readonly count: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly bucketCounts: readonly number[];
  readonly explicitBounds: readonly number[];
  readonly attributes: Attributes;
}

export type OtlpMetric =
  | { readonly kind: 'number'; readonly name: string; readonly points: readonly OtlpNumberPoint[] }
  | {
      readonly kind: 'histogram';
      readonly name: string;
      readonly points: readonly OtlpHistogramPoint[];
    }
  /** Exponential histograms, summaries, or no data: decoded, counted, not used. */
  | { readonly kind: 'unsupported'; readonly name: string; readonly pointCount: number };

export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly events: readonly {
    readonly name: string;
    readonly timeUnixNano: bigint;
    readonly attributes: Attributes;
  }[];
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly statusMessage?: string;
}

/** OTLP's data-point flag: the point carries no value (a series went stale). */
const NO_RECORDED_VALUE = 1;

export function logsOf(request: Record<string, unknown>): ResourceItems<OtlpLogRecord>[] {
  return groups(request, 'resourceLogs', 'scopeLogs', 'logRecords', (r: WireLogRecord) => ({
    timeUnixNano: nanos(r.timeUnixNano),
    observedTimeUnixNano: nanos(r.observedTimeUnixNano),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    eventName: r.eventName || undefined,
    body: r.body ? anyValueOf(r.body) : undefined,
    attributes: attributesOf(r.attributes),
  }));
}

export function metricsOf(request: Record<string, unknown>): ResourceItems<OtlpMetric>[] {
  return groups(request, 'resourceMetrics', 'scopeMetrics', 'metrics', metricOf);
}

export function spansOf(request: Record<string, unknown>): ResourceItems<OtlpSpan>[] {
  return groups(request, 'resourceSpans', 'scopeSpans', 'spans', (s: WireSpan) => ({
    traceId: hexOf(s.traceId),
    spanId: hexOf(s.spanId),
    parentSpanId: s.parentSpanId?.length ? hexOf(s.parentSpanId) : undefined,
    name: s.name ?? '',
    startTimeUnixNano: nanos(s.startTimeUnixNano),
    endTimeUnixNano: nanos(s.endTimeUnixNano),
    attributes: attributesOf(s.attributes),
    events: (s.events ?? []).map((e) => ({
      name: e.name ?? '',
      timeUnixNano: nanos(e.timeUnixNano),
      attributes: attributesOf(e.attributes),
    })),
    statusCode: s.status?.code ?? 0,
    statusMessage: s.status?.message || undefined,
  }));
}

/** An OTLP AnyValue as an OTel JS `AnyValue` (int64 becomes a number; unset becomes undefined). */
export function anyValueOf(value: WireAnyValue): AnyValue {
  switch (value.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'intValue':
      return Number(value.intValue ?? 0);
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'bytesValue':
      return value.bytesValue ?? new Uint8Array(0);
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map(anyValueOf);
    case 'kvlistValue':
      return attributesOf(value.kvlistValue?.values) as AnyValueMap;
    default:
      return undefined;
  }
}

export function attributesOf(list: readonly WireKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  for (const { key, value } of list ?? []) {
    if (!key || !value) continue;
    const converted = anyValueOf(value);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

function metricOf(m: WireMetric): OtlpMetric {
  const name = m.name ?? '';
  switch (m.data) {
    case 'gauge':
    case 'sum':
      return {
        kind: 'number',
        name,
        points: (m[m.data]?.dataPoints ?? []).flatMap((p) =>
          (p.flags ?? 0) & NO_RECORDED_VALUE
            ? []
            : [
                {
                  timeUnixNano: nanos(p.timeUnixNano),
                  value: p.value === 'asInt' ? Number(p.asInt) : (p.asDouble ?? 0),
                  attributes: attributesOf(p.attributes),
                },
              ],
        ),
      };
    case 'histogram':
      return {
        kind: 'histogram',
        name,
        points: (m.histogram?.dataPoints ?? []).flatMap((p) =>
          (p.flags ?? 0) & NO_RECORDED_VALUE
            ? []
            : [
                {
                  timeUnixNano: nanos(p.timeUnixNano),
                  count: Number(p.count ?? 0),
                  sum: p.sum,
                  min: p.min,
                  max: p.max,
                  bucketCounts: (p.bucketCounts ?? []).map(Number),
                  explicitBounds: p.explicitBounds ?? [],
                  attributes: attributesOf(p.attributes),
                },
              ],
        ),
      };
    default: {
      const points = m.data ? (m[m.data]?.dataPoints?.length ?? 0) : 0;
      return { kind: 'unsupported', name, pointCount: points };
    }
  }
}

function groups<W, T>(
  request: Record<string, unknown>,
  resourceKey: string,
  scopeKey: string,
  itemKey: string,
  convert: (wire: W) => T,
): ResourceItems<T>[] {
  const resources = (request[resourceKey] ?? []) as readonly WireResourceGroup[];
  return resources.map((group) => ({
    resource: attributesOf(group.resource?.attributes),
    scopes: ((group[scopeKey] ?? []) as readonly Record<string, unknown>[]).map((scoped) => {
      const scope = (scoped.scope ?? {}) as WireScope;
      return {
        scope: { name: scope.name ?? '', version: scope.version || undefined },
        items: ((scoped[itemKey] ?? []) as readonly W[]).map(convert),
      };
    }),
  }));
}

function nanos(value: string | undefined): bigint {
  return value ? BigInt(value) : 0n;
}

function hexOf(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '';
}
