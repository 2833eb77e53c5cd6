import type { LogRecordExporter, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * What a backend adds to a run's OTel providers: ordinary OTel processors, readers and
 * exporters. Several backends share one provider set, so a row is recorded once however many
 * backends there are.
 */
export interface TelemetryBackend {
  readonly name: string;
  /**
   * Step-aware exporters: they receive every training event, losslessly and in order (through
   * the run's event processor, not a batch processor that may drop).
   */
  readonly eventExporters?: readonly LogRecordExporter[];
  /**
   * The training event names (`EventName`) this backend's exporters use, when not all of them: a
   * console that shows only errors takes no rows, so rows cost nothing when it is the only backend.
   */
  readonly events?: readonly string[];
  readonly logRecordProcessors?: readonly LogRecordProcessor[];
  /**
   * Makes the readers of instruments that are not the run's own (a user's instruments and other
   * libraries', through the global OTel API). Called only when the run registers its providers
   * globally (`register_global`), the one way such instruments reach it: otherwise no reader, and
   * no SDK package behind one, is made.
   */
  readonly metricReaders?: () => readonly MetricReader[];
  /**
   * Readers of the run's own instruments (the `logMetrics` gauges, the step, call durations).
   * They live on a meter provider of their own, so a backend that takes rows as events (console,
   * TensorBoard, W&B) adds no aggregation to the hot path. When no backend has one, `logMetrics`
   * records no instruments at all: nobody would read them.
   */
  readonly runMetricReaders?: readonly MetricReader[];
  readonly spanProcessors?: readonly SpanProcessor[];
  /**
   * The run stopped waiting for this backend (`finish()` reached `flush_timeout`): count and
   * report what it still holds as lost, now.
   */
  readonly abandon?: () => void;
  /**
   * Stores a model file or bytes as an artifact named `name` (W&B model artifacts). Models are
   * files, not telemetry: they go to the backend directly, not through OTel.
   */
  readonly logModel?: (
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[],
  ) => Promise<void>;
}

/**
 * A log-record processor that only reads the records it is given, never changes them: a run may
 * hand it ready-made rows (`MetricsRecord`) instead of records made by the SDK's `Logger` (see
 * `TelemetryPipeline.direct`).
 */
export interface ReadingLogRecordProcessor extends LogRecordProcessor {
  readonly readsOnly: true;
}

export function isReadingProcessor(
  processor: LogRecordProcessor,
): processor is ReadingLogRecordProcessor {
  return (processor as Partial<ReadingLogRecordProcessor>).readsOnly === true;
}
