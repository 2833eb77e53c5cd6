/**
 * The OTLP batch processors: the SDK's, in front of counted exporters, with bounded flushes.
 * The log processor flushes its queue one batch after another, each waiting out the export
 * timeout when the receiver is away (a full queue is 32 batches); run through the exporter's
 * `drain`, a flush stops sending after the first failure and counts the rest as lost, so `flush()`
 * and `finish()` cost one export timeout. The span processor exports a flush's batches at once;
 * when that fails it rejects and skips its exporter's shutdown, which is done here instead.
 * Neither rejects: what failed exports held is counted and reported by the delivery ledger.
 */
import type { Context } from '@opentelemetry/api';
import type {
  BatchLogRecordProcessor,
  BatchLogRecordProcessorOptions,
  ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import type {
  BatchSpanProcessor,
  BatchSpanProcessorOptions,
  ReadableSpan,
  Span,
  SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { sdkLogs, sdkTrace } from '../../otel-sdk.js';
import type { ReadingLogRecordProcessor } from '../backend.js';
import type { CountedLogRecordExporter, CountedSpanExporter } from './counted-exporters.js';

export class OtlpLogRecordProcessor implements ReadingLogRecordProcessor {
  /** The batch processor only queues records for the exporter, which only reads them. */
  readonly readsOnly = true;
  private readonly batch: BatchLogRecordProcessor;

  constructor(
    private readonly exporter: CountedLogRecordExporter,
    options: Omit<BatchLogRecordProcessorOptions, 'exporter'>,
  ) {
    this.batch = new (sdkLogs().BatchLogRecordProcessor)({ ...options, exporter });
  }

  onEmit(record: ReadWriteLogRecord): void {
    this.exporter.ledger.enter('logs');
    this.batch.onEmit(record);
  }

  forceFlush(): Promise<void> {
    return this.exporter.drain(() => this.batch.forceFlush());
  }

  shutdown(): Promise<void> {
    return this.exporter.drain(() => this.batch.shutdown());
  }
}

export type SpanProcessorOptions = Omit<BatchSpanProcessorOptions, 'exporter'>;

export class OtlpSpanProcessor implements SpanProcessor {
  private readonly batch: BatchSpanProcessor;

  constructor(
    private readonly exporter: CountedSpanExporter,
    options: SpanProcessorOptions,
  ) {
    this.batch = new (sdkTrace().BatchSpanProcessor)({ ...options, exporter });
  }

  onStart(span: Span, context: Context): void {
    this.batch.onStart(span, context);
  }

  onEnd(span: ReadableSpan): void {
    if (span.spanContext().traceFlags & 1) this.exporter.ledger.enter('traces');
    this.batch.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    try {
      await this.exporter.drain(() => this.batch.forceFlush());
    } catch {
      // Counted and reported by the ledger.
    }
  }

  async shutdown(): Promise<void> {
    try {
      await this.exporter.drain(() => this.batch.shutdown());
    } catch {
      // Counted and reported by the ledger; the processor left its exporter open.
      await this.exporter.shutdown();
    }
  }
}
