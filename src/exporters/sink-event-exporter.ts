import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { decodeTrainingEvent, type MetricsEvent, type TrainingEvent } from '../events/events.js';
import { ExportResultCode } from '../otel-sdk.js';
import type { StepTracker, TrainingSink } from './training-sink.js';

export interface SinkEventExporterOptions {
  readonly sink: TrainingSink;
  readonly steps: StepTracker;
  /**
   * Writes each metric key at most once every `logFrequency` steps (a key's first value, and any
   * value after its step went back, is always written). 1 writes everything.
   */
  readonly logFrequency?: number;
  /** Called at shutdown instead of shutting the sink down (when it has other writers). */
  readonly release?: () => Promise<void>;
}

/** An OTel log-record exporter that decodes training events and writes them to a sink. */
export class SinkEventExporter implements LogRecordExporter {
  private readonly lastWritten = new Map<string, number>();
  private readonly logFrequency: number;

  constructor(private readonly options: SinkEventExporterOptions) {
    this.logFrequency = options.logFrequency ?? 1;
  }

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const record of records) {
        const event = decodeTrainingEvent(record);
        if (event) this.write(event);
      }
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  forceFlush(): Promise<void> {
    return this.options.sink.forceFlush();
  }

  /** See `TrainingSink.flushSync`. */
  flushSync(): void {
    this.options.sink.flushSync?.();
  }

  shutdown(): Promise<void> {
    return this.options.release ? this.options.release() : this.options.sink.shutdown();
  }

  private write(event: TrainingEvent): void {
    const { sink, steps } = this.options;
    switch (event.kind) {
      case 'metrics': {
        steps.latest = event.step;
        const kept = this.logFrequency > 1 ? this.thin(event) : event;
        if (hasAny(kept.values)) sink.writeMetrics(kept);
        return;
      }
      case 'histogram':
        sink.writeHistogram?.(event);
        return;
      case 'image':
        sink.writeImage?.(event);
        return;
      case 'text':
        sink.writeText?.(event);
        return;
      case 'hparams':
        sink.writeHparams?.(event);
        return;
      case 'runEnd':
        sink.writeRunEnd?.(event);
        return;
      case 'exception':
        sink.writeException?.(event);
        return;
      case 'progress':
        sink.writeProgress?.(event);
        return;
      case 'system':
        sink.writeSystem?.(event);
        return;
    }
  }

  private thin(event: MetricsEvent): MetricsEvent {
    const values: Record<string, number> = {};
    for (const key in event.values) {
      const last = this.lastWritten.get(key);
      if (last === undefined || event.step - last >= this.logFrequency || event.step < last) {
        this.lastWritten.set(key, event.step);
        values[key] = event.values[key]!;
      }
    }
    return { ...event, values };
  }
}

function hasAny(values: Readonly<Record<string, number>>): boolean {
  for (const _ in values) return true;
  return false;
}
