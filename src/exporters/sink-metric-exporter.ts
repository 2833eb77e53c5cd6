import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type {
  AggregationTemporality,
  Histogram,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { Attr, INSTRUMENTATION_SCOPE } from '../events/events.js';
import { fromOTelHistogramPoint } from '../events/media.js';
import { ExportResultCode, sdkMetrics } from '../otel-sdk.js';
import type { StepTracker, TrainingSink } from './training-sink.js';

/**
 * An OTel metric exporter that brings instruments other than the run's own (runtime and host
 * metrics, a user's instruments) to a step-aware sink, placed at the latest step: the latest row's
 * step the sink's event exporter saw, or the run's `jepa.step` gauge when that is later (a metric
 * exporter used without the event exporter). The run's own instruments are skipped: their rows
 * reach the sink, losslessly, as events.
 */
export class SinkMetricExporter implements PushMetricExporter {
  constructor(
    private readonly sink: TrainingSink,
    private readonly steps: StepTracker,
    /** Called at shutdown: the sink's lifetime decides when it closes (see `SinkLifetime`). */
    private readonly release: () => Promise<void>,
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    try {
      const step = Math.max(this.steps.latest, runStep(metrics) ?? 0);
      const timeMs = Date.now();
      const values: Record<string, number> = {};
      for (const scope of metrics.scopeMetrics) {
        if (scope.scope.name === INSTRUMENTATION_SCOPE) continue;
        for (const metric of scope.metrics) {
          const name = metric.descriptor.name;
          for (const point of metric.dataPoints) {
            const tag = tagOf(name, point.attributes);
            if (metric.dataPointType === sdkMetrics().DataPointType.HISTOGRAM) {
              const histogram = fromOTelHistogramPoint(point.value as Histogram);
              if (histogram)
                this.sink.writeHistogram?.({ kind: 'histogram', timeMs, step, tag, histogram });
            } else if (typeof point.value === 'number') {
              values[tag] = point.value;
            }
          }
        }
      }
      if (Object.keys(values).length > 0)
        this.sink.writeMetrics({ kind: 'metrics', timeMs, step, values });
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  selectAggregationTemporality(): AggregationTemporality {
    return sdkMetrics().AggregationTemporality.CUMULATIVE;
  }

  forceFlush(): Promise<void> {
    return this.sink.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.release();
  }
}

/** The value of the run's step gauge in `metrics`, if they hold it. */
function runStep(metrics: ResourceMetrics): number | undefined {
  for (const scope of metrics.scopeMetrics) {
    if (scope.scope.name !== INSTRUMENTATION_SCOPE) continue;
    const gauge = scope.metrics.find((metric) => metric.descriptor.name === Attr.step);
    const value = gauge?.dataPoints.at(-1)?.value;
    if (typeof value === 'number') return value;
  }
  return undefined;
}

/** `name`, or `name/key=value/...` for a point with attributes (sorted, so tags are stable). */
function tagOf(name: string, attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return name;
  return `${name}/${keys.map((key) => `${key}=${String(attributes[key])}`).join('/')}`;
}
