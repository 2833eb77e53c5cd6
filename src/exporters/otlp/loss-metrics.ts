/**
 * The delivery ledger's losses as a metric, `jepa.otlp.lost{signal, reason}` (a monotonic sum;
 * `jepa_otlp_lost_total` in Prometheus): a metric producer added to the OTLP reader of the run's
 * own instruments. What is lost while the receiver is down arrives once it is back, so Grafana
 * shows how much of a run the dashboards miss. Its scope is the run's, so the bridge, which takes
 * our instruments' values from the row events, leaves it alone.
 */
import type { Attributes } from '@opentelemetry/api';
import type { CollectionResult, DataPoint, MetricProducer } from '@opentelemetry/sdk-metrics';
import { otelApi } from '../../otel-api.js';
import { otelCore, otelResources, sdkMetrics } from '../../otel-sdk.js';
import type { OtlpDeliveryLedger, OtlpSignal } from './delivery-ledger.js';

export const LOST_METRIC = 'jepa.otlp.lost';

const SIGNALS: readonly OtlpSignal[] = ['logs', 'traces', 'metrics'];

/** A producer of `jepa.otlp.lost` under instrumentation scope `scope`. */
export function lossMetricProducer(ledger: OtlpDeliveryLedger, scope: string): MetricProducer {
  const startTime = otelCore().hrTime();
  return {
    async collect(): Promise<CollectionResult> {
      const endTime = otelCore().hrTime();
      const counts = ledger.counts();
      const point = (signal: OtlpSignal, reason: string, value: number): DataPoint<number> => ({
        startTime,
        endTime,
        attributes: { signal, reason } satisfies Attributes,
        value,
      });
      const dataPoints = SIGNALS.flatMap((signal) => [
        point(signal, 'queue_full', counts[signal].queueFull),
        point(signal, 'export_failed', counts[signal].exportFailed),
      ]);
      return {
        // The reader keeps its own resource; this one is not used.
        resourceMetrics: {
          resource: otelResources().emptyResource(),
          scopeMetrics: [
            {
              scope: { name: scope },
              metrics: [
                {
                  descriptor: {
                    name: LOST_METRIC,
                    description: 'Telemetry items the OTLP exporters could not deliver',
                    unit: '{item}',
                    valueType: otelApi().ValueType.INT,
                  },
                  aggregationTemporality: sdkMetrics().AggregationTemporality.CUMULATIVE,
                  dataPointType: sdkMetrics().DataPointType.SUM,
                  isMonotonic: true,
                  dataPoints,
                },
              ],
            },
          ],
        },
        errors: [],
      };
    },
  };
}
