/**
 * The OTel exporters, counted: each wrapper implements the interface of the exporter it wraps,
 * passes every call through, and tells the delivery ledger how many items each export delivered
 * or lost. During a flush (`drain`), once one export has failed, the batches left in that flush
 * are counted as lost without being sent: a flush then costs one export timeout, not one per
 * batch (a full log queue is 32 batches, over five minutes against a receiver that is down).
 */
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type {
  AggregationOption,
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { ExportResultCode, sdkMetrics } from '../../otel-sdk.js';
import type { OtlpDeliveryLedger, OtlpSignal } from './delivery-ledger.js';

/** What the wrappers share: the ledger, and a call when the exporter has shut down. */
export interface CountingOptions {
  readonly ledger: OtlpDeliveryLedger;
  /** Called once the wrapped exporter has shut down (the ledger closes after the last one). */
  readonly onShutdown?: () => void;
}

interface Exporter<Batch> {
  export(batch: Batch, resultCallback: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

class Counted<Batch> {
  /** Flushes under way; while one is, a failure ends the sending for the rest of it. */
  private drains = 0;
  private failedInDrain = false;
  private shut: Promise<void> | undefined;

  constructor(
    private readonly signal: OtlpSignal,
    private readonly inner: Exporter<Batch>,
    private readonly size: (batch: Batch) => number,
    private readonly options: CountingOptions,
  ) {}

  /** Where this exporter's deliveries and losses are counted. */
  get ledger(): OtlpDeliveryLedger {
    return this.options.ledger;
  }

  export(batch: Batch, resultCallback: (result: ExportResult) => void): void {
    const count = this.size(batch);
    const { ledger } = this.options;
    if (this.drains > 0 && this.failedInDrain) {
      ledger.lost(this.signal, 'export_failed', count);
      resultCallback({
        code: ExportResultCode.FAILED,
        error: new Error('not sent: an earlier export of this flush failed'),
      });
      return;
    }
    const settled = ledger.exporting(this.signal, count);
    const done = (result: ExportResult) => {
      settled();
      if (result.code === ExportResultCode.SUCCESS) {
        ledger.delivered(this.signal, count);
      } else {
        if (this.drains > 0) this.failedInDrain = true;
        ledger.lost(this.signal, 'export_failed', count, describeError(result.error));
      }
      resultCallback(result);
    };
    try {
      this.inner.export(batch, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  /** Runs a flush of the processor in front: see the file comment. */
  async drain<T>(flush: () => Promise<T>): Promise<T> {
    if (this.drains++ === 0) this.failedInDrain = false;
    try {
      return await flush();
    } finally {
      this.drains--;
    }
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.();
  }

  /** Shuts the wrapped exporter down, once. */
  shutdown(): Promise<void> {
    this.shut ??= (async () => {
      try {
        await this.inner.shutdown();
      } finally {
        this.options.onShutdown?.();
      }
    })();
    return this.shut;
  }
}

export class CountedLogRecordExporter
  extends Counted<ReadableLogRecord[]>
  implements LogRecordExporter
{
  constructor(inner: LogRecordExporter, options: CountingOptions) {
    super('logs', inner, (records) => records.length, options);
  }
}

export class CountedSpanExporter extends Counted<ReadableSpan[]> implements SpanExporter {
  constructor(inner: SpanExporter, options: CountingOptions) {
    super('traces', inner, (spans) => spans.length, options);
  }
}

export class CountedMetricExporter extends Counted<ResourceMetrics> implements PushMetricExporter {
  constructor(
    private readonly metricExporter: PushMetricExporter,
    options: CountingOptions,
  ) {
    super('metrics', metricExporter, countPoints, options);
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    // The OTLP exporters always answer; the fallbacks are the SDK's defaults.
    return (
      this.metricExporter.selectAggregationTemporality?.(instrumentType) ??
      sdkMetrics().AggregationTemporality.CUMULATIVE
    );
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return (
      this.metricExporter.selectAggregation?.(instrumentType) ?? {
        type: sdkMetrics().AggregationType.DEFAULT,
      }
    );
  }
}

function countPoints(metrics: ResourceMetrics): number {
  let points = 0;
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) points += metric.dataPoints.length;
  }
  return points;
}

/** The error of a failed export, for a report: OTLP HTTP errors carry their status code. */
function describeError(error: Error | undefined): string {
  if (!error) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? `HTTP ${code} ${error.message}`.trim() : error.message;
}
