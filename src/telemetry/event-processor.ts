/**
 * Hands training events to the step-aware exporters, losslessly and in order. `onEmit` only
 * queues (the caller's cost is one push). The queue is handed over `handOverDelayMillis` after its
 * first event; on the next turn of the event loop once it holds a batch (64 events); at once when
 * it reaches `maxQueueSize`, so a tight synchronous loop cannot grow memory without bound and
 * cannot lose rows either. The exporters behind it write locally (a buffer, a file); anything
 * slow (a network) they keep off this path themselves.
 *
 * The delay is for the training loop's sake: a row every few milliseconds, handed over alone,
 * runs the exporters' code cold each time (the training step in between has evicted it from the
 * CPU's caches), at several times the cost of the same rows written in a batch.
 */

import type { Context } from '@opentelemetry/api';
import type {
  LogRecordExporter,
  LogRecordProcessor,
  ReadableLogRecord,
  ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import type { DiagnosticLogger } from '../diagnostics.js';
import { eventNameOf, isTrainingEventName } from '../events/events.js';
import { ExportResultCode, withoutTracing } from '../otel-sdk.js';

/** An exporter that can make its writes durable without waiting (see `TrainingSink.flushSync`). */
interface SyncFlushable {
  flushSync(): void;
}

export interface TrainingEventProcessorOptions {
  readonly exporters: readonly LogRecordExporter[];
  /**
   * Queued events that make `onEmit` hand the queue over synchronously. Default 256: a short
   * queue dies young (a tight loop over thousands of queued records spent a quarter of its time
   * in the garbage collector), and the exporters write a batch as fast as a longer one.
   */
  readonly maxQueueSize?: number;
  /**
   * Milliseconds a queued event may wait for others before the queue is handed over. Default 200:
   * rows logged every 10 ms of training go out twenty at a time, and a console line is late by
   * at most a fifth of a second. (`forceFlush`, `flushSync` and `shutdown` hand over at once.)
   */
  readonly handOverDelayMillis?: number;
  readonly diagnostics: DiagnosticLogger;
}

/** Queued events that are handed over on the next turn: enough for the exporters to run warm. */
const BATCH_SIZE = 64;

export class TrainingEventProcessor implements LogRecordProcessor {
  private queue: ReadableLogRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly drainLater = () => this.handOver();
  private stopped = false;
  private readonly maxQueueSize: number;
  private readonly handOverDelayMillis: number;

  constructor(private readonly options: TrainingEventProcessorOptions) {
    this.maxQueueSize = options.maxQueueSize ?? 256;
    this.handOverDelayMillis = options.handOverDelayMillis ?? 200;
  }

  enabled(options: { eventName?: string }): boolean {
    return !this.stopped && isTrainingEventName(options.eventName);
  }

  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    if (isTrainingEventName(eventNameOf(record as ReadableLogRecord))) {
      this.push(record as ReadableLogRecord);
    }
  }

  /** Queues a training event that did not come through the SDK (`TelemetryPipeline.direct`). */
  push(record: ReadableLogRecord): void {
    if (this.stopped) return;
    const queued = this.queue.push(record);
    if (queued >= this.maxQueueSize) {
      this.handOver();
    } else if (queued >= BATCH_SIZE) {
      this.immediate ??= setImmediate(this.drainLater).unref();
    } else {
      this.timer ??= setTimeout(this.drainLater, this.handOverDelayMillis).unref();
    }
  }

  async forceFlush(): Promise<void> {
    this.handOver();
    await Promise.all(this.options.exporters.map((exporter) => exporter.forceFlush()));
  }

  /**
   * Hands the queue over and makes the exporters write it, synchronously: for process exit,
   * when a script calls `process.exit()` in the same turn as its last `logMetrics`.
   */
  flushSync(): void {
    if (this.stopped) return;
    this.handOver();
    for (const exporter of this.options.exporters) {
      (exporter as Partial<SyncFlushable>).flushSync?.();
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.handOver();
    this.stopped = true;
    await Promise.all(this.options.exporters.map((exporter) => exporter.shutdown()));
  }

  /** Hands the queue to the exporters now, synchronously (they write it to their buffers). */
  handOver(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    // As the SDK's own processors do: what an exporter does (W&B's requests) is never traced.
    withoutTracing(() => this.export(batch));
  }

  private export(batch: ReadableLogRecord[]): void {
    for (const exporter of this.options.exporters) {
      try {
        exporter.export(batch, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) {
            this.options.diagnostics.warning(
              `an exporter failed to write ${batch.length} training events: ${result.error?.message ?? 'unknown error'}`,
            );
          }
        });
      } catch (error) {
        this.options.diagnostics.warning(
          `an exporter threw while writing training events: ${String(error)}`,
        );
      }
    }
  }
}
