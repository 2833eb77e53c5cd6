/**
 * OTLP metrics -> training rows, for producers that send instruments rather than row events (a
 * Python gauge, host metrics). The points one collection produced share a timestamp: they become
 * one row, at the step the `jepa.step` gauge had in that same collection (`undefined` when the
 * producer sent none: the run's latest step is used). Number points (gauges, sums) are row values;
 * explicit-bucket histograms are histograms. Our own instruments (scope `jepa-loggers`) are
 * skipped: their rows arrive losslessly as `jepa.metrics` events, and taking both would write
 * every value twice.
 */
import type { HistogramData } from '../events/events.js';
import { INSTRUMENTATION_SCOPE } from '../events/events.js';
import { fromOTelHistogramPoint } from '../events/media.js';
import { STEP_GAUGE } from '../telemetry/training-run.js';
import type { Attributes, OtlpMetric, ResourceItems } from './otlp-model.js';

export interface MetricRow {
  /** The collection's time, Unix nanoseconds. */
  readonly timeUnixNano: bigint;
  /** The `jepa.step` gauge of the same collection, if the producer sent one. */
  readonly step: number | undefined;
  /** Key (`name`, or `name/attr=value/...` for points with attributes) -> value. */
  readonly values: Readonly<Record<string, number>>;
  readonly histograms: readonly { readonly tag: string; readonly histogram: HistogramData }[];
}

export interface MetricRows {
  /** Oldest first. */
  readonly rows: readonly MetricRow[];
  /** The `jepa.step` of the newest collection that carried one, with or without a row. */
  readonly latestStep: number | undefined;
  /** Points the bridge does not use: exponential histograms, summaries, empty histograms. */
  readonly skippedPoints: number;
}

/** The rows of one resource's metrics in one export request. */
export function metricRows(scopes: ResourceItems<OtlpMetric>['scopes']): MetricRows {
  const steps = new Map<bigint, number>();
  const rows = new Map<
    bigint,
    { values: Record<string, number>; histograms: MetricRow['histograms'][number][] }
  >();
  const rowAt = (time: bigint) => {
    let row = rows.get(time);
    if (!row) {
      row = { values: {}, histograms: [] };
      rows.set(time, row);
    }
    return row;
  };
  let skippedPoints = 0;
  for (const { scope, items } of scopes) {
    const ours = scope.name === INSTRUMENTATION_SCOPE;
    for (const metric of items) {
      if (metric.kind === 'number' && metric.name === STEP_GAUGE) {
        for (const point of metric.points) {
          if (Number.isSafeInteger(point.value) && point.value >= 0)
            steps.set(point.timeUnixNano, point.value);
        }
        continue;
      }
      if (ours) continue;
      if (metric.kind === 'unsupported') {
        skippedPoints += metric.pointCount;
      } else if (metric.kind === 'number') {
        for (const point of metric.points) {
          rowAt(point.timeUnixNano).values[tagOf(metric.name, point.attributes)] = point.value;
        }
      } else {
        for (const point of metric.points) {
          const histogram = fromOTelHistogramPoint({
            count: point.count,
            sum: point.sum,
            min: point.min,
            max: point.max,
            buckets: { boundaries: point.explicitBounds, counts: point.bucketCounts },
          });
          if (histogram) {
            const tag = tagOf(metric.name, point.attributes);
            rowAt(point.timeUnixNano).histograms.push({ tag, histogram });
          } else {
            skippedPoints++;
          }
        }
      }
    }
  }
  const ordered = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([timeUnixNano, row]) => ({ timeUnixNano, step: steps.get(timeUnixNano), ...row }));
  const newestStepTime = [...steps.keys()].reduce<bigint | undefined>(
    (newest, time) => (newest === undefined || time > newest ? time : newest),
    undefined,
  );
  const latestStep = newestStepTime === undefined ? undefined : steps.get(newestStepTime);
  return { rows: ordered, latestStep, skippedPoints };
}

/** `name`, or `name/key=value/...` for a point with attributes (sorted keys: stable tags). */
function tagOf(name: string, attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return name;
  return `${name}/${keys.map((key) => `${key}=${String(attributes[key])}`).join('/')}`;
}
