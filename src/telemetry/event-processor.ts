/**
 * Hands training events to the step-aware exporters, losslessly and in order. `onEmit` only
 * queues (the caller's cost is one push); the queue is handed over on the next turn of the event
 * loop, or at once when it reaches `maxQueueSize`, so a tight synchronous loop cannot grow memory
 * without bound and cannot lose rows either. The exporters behind it write locally (a buffer, a
 * file); anything slow (a network) they keep off this path themselves.
 */

import type { Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type {
  LogRecordExporter,
  LogRecordProcessor,
  ReadableLogRecord,
  ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import type { DiagnosticLogger } from '../diagnostics.js';
import { eventNameOf, isTrainingEventName } from './events.js';

/** An exporter that can make its writes durable without waiting (see `TrainingSink.flushSync`). */
interface SyncFlushable {
  flushSync(): void;
}

export interface TrainingEventProcessorOptions {
  readonly exporters: readonly LogRecordExporter[];
  /** Queued events that make `onEmit` hand the queue over synchronously. Default 8192. */
  readonly maxQueueSize?: number;
  readonly diagnostics: DiagnosticLogger;
}

export class TrainingEventProcessor implements LogRecordProcessor {
  private queue: ReadableLogRecord[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly maxQueueSize: number;

  constructor(private readonly options: TrainingEventProcessorOptions) {
    this.maxQueueSize = options.maxQueueSize ?? 8192;
  }

  enabled(options: { eventName?: string }): boolean {
    return !this.stopped && isTrainingEventName(options.eventName);
  }

  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    if (this.stopped || !isTrainingEventName(eventNameOf(record as ReadableLogRecord))) return;
    this.queue.push(record as ReadableLogRecord);
    if (this.queue.length >= this.maxQueueSize) {
      this.drain();
    } else if (!this.scheduled) {
      this.scheduled = setImmediate(() => this.drain());
      this.scheduled.unref();
    }
  }

  async forceFlush(): Promise<void> {
    this.drain();
    await Promise.all(this.options.exporters.map((exporter) => exporter.forceFlush()));
  }

  /**
   * Hands the queue over and makes the exporters write it, synchronously: for process exit,
   * when a script calls `process.exit()` in the same turn as its last `logMetrics`.
   */
  flushSync(): void {
    if (this.stopped) return;
    this.drain();
    for (const exporter of this.options.exporters) {
      (exporter as Partial<SyncFlushable>).flushSync?.();
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.drain();
    this.stopped = true;
    await Promise.all(this.options.exporters.map((exporter) => exporter.shutdown()));
  }

  private drain(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
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
