import type {
  ExceptionEvent,
  HistogramEvent,
  HparamsEvent,
  ImageEvent,
  MetricsEvent,
  ProgressEvent,
  RunEndEvent,
  SystemEvent,
  TextEvent,
} from '../events/events.js';

/**
 * A step-aware destination (console, TensorBoard, W&B): the small interface each implements.
 * `SinkEventExporter` and `SinkMetricExporter` make any sink an ordinary OTel log-record and
 * metric exporter. Writes are synchronous and local (into a buffer or a file); `forceFlush` makes
 * them durable; `shutdown` flushes and closes.
 */
export interface TrainingSink {
  writeMetrics(event: MetricsEvent): void;
  writeHistogram?(event: HistogramEvent): void;
  writeImage?(event: ImageEvent): void;
  writeText?(event: TextEvent): void;
  writeHparams?(event: HparamsEvent): void;
  writeRunEnd?(event: RunEndEvent): void;
  writeException?(event: ExceptionEvent): void;
  writeProgress?(event: ProgressEvent): void;
  /** A sample of system metrics (at no step: a sink places it at its latest). */
  writeSystem?(event: SystemEvent): void;
  forceFlush(): Promise<void>;
  /**
   * Makes buffered writes durable synchronously. Called at process exit, where nothing
   * asynchronous runs any more, after the last queued events were written.
   */
  flushSync?(): void;
  shutdown(): Promise<void>;
}

/** The latest step a backend has seen: where metrics of other instruments are placed. */
export class StepTracker {
  latest = 0;
}
