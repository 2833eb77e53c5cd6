/**
 * Training events into one TensorBoard run directory: encoded (event-encoder, scalar-row-encoder),
 * framed and written (event-file-writer) on a flush schedule.
 *
 * Hyperparameters go to the hparams plugin in the run's own file, as a session start (and a
 * session end with the run's status): the run is the session, and its scalars are the metrics
 * the hparams dashboard shows. No experiment summary is written: TensorBoard then builds the
 * experiment from every run's session (the union of their hyperparameters, all their scalar
 * tags), which is what TensorBoard's own hparams API does. tensorboardX instead writes a
 * timestamped sub-run with an experiment summary per call, and TensorBoard takes one experiment
 * summary for the whole log directory, hiding hyperparameters the other runs have.
 */
import { type DiagnosticLogger, escapeControls, OnceWarner } from '../../diagnostics.js';
import type {
  HistogramEvent,
  HparamsEvent,
  ImageEvent,
  MetricsEvent,
  RunEndEvent,
  SystemEvent,
  TextEvent,
} from '../../events/events.js';
import { maskSecretNames } from '../../secrets.js';
import type { TrainingSink } from '../training-sink.js';
import {
  histogramEvent,
  imageEvent,
  sessionEndEvent,
  sessionStartEvent,
  textEvent,
} from './event-encoder.js';
import { EventFileWriter } from './event-file-writer.js';
import { FlushSchedule } from './flush-schedule.js';
import { ScalarRowEncoder } from './scalar-row-encoder.js';

export interface TensorBoardSinkOptions {
  /** The run directory (`runDirectory`): TensorBoard shows it as one run. */
  readonly runDir: string;
  /** Seconds between flushes of the event file to disk. Default 5. */
  readonly flushSecs?: number;
  /** Write images. Default true. */
  readonly logImages?: boolean;
  /** Write histograms. Default true. */
  readonly logHistograms?: boolean;
  /** Receives write failures; nothing is thrown into training. */
  readonly diagnostics: DiagnosticLogger;
}

export class TensorBoardSink implements TrainingSink {
  readonly runDir: string;
  private readonly writer: EventFileWriter;
  private readonly schedule: FlushSchedule;
  private readonly rows = new ScalarRowEncoder();
  private readonly logImages: boolean;
  private readonly logHistograms: boolean;
  private readonly warner: OnceWarner;
  /** Where events without a step of their own (hyperparameters, the end) are placed. */
  private latestStep = 0;
  private hparamsLogged = false;

  constructor(options: TensorBoardSinkOptions) {
    this.runDir = options.runDir;
    this.logImages = options.logImages ?? true;
    this.logHistograms = options.logHistograms ?? true;
    this.warner = new OnceWarner(options.diagnostics);
    this.writer = new EventFileWriter({ dir: options.runDir, diagnostics: options.diagnostics });
    this.schedule = new FlushSchedule(() => this.writer.flush(), (options.flushSecs ?? 5) * 1000);
  }

  /** The event file being written. */
  get path(): string {
    return this.writer.path;
  }

  writeMetrics(event: MetricsEvent): void {
    this.latestStep = event.step;
    this.writeRow(event);
  }

  /** System metrics as `system/<name>` scalars at the latest step, beside the rows. */
  writeSystem(event: SystemEvent): void {
    const values: Record<string, number> = {};
    for (const key in event.values) values[`system/${key}`] = event.values[key]!;
    this.writeRow({ kind: 'metrics', timeMs: event.timeMs, step: this.latestStep, values });
  }

  writeHistogram(event: HistogramEvent): void {
    if (this.logHistograms) this.write(`histogram '${event.tag}'`, () => histogramEvent(event));
  }

  writeImage(event: ImageEvent): void {
    if (this.logImages) this.write(`image '${event.tag}'`, () => imageEvent(event));
  }

  writeText(event: TextEvent): void {
    this.write(`text '${event.tag}'`, () => textEvent(event));
  }

  writeHparams(event: HparamsEvent): void {
    if (this.hparamsLogged) {
      this.warner.warn(
        'hparams-again',
        'TensorBoard: hyperparameters logged again in one run; the hparams dashboard shows the first',
      );
    }
    this.hparamsLogged = true;
    // Masked as config dumps are: the hparams dashboard shows them to whoever reads the logs.
    const hparams = maskSecretNames(event.hparams);
    this.write('hyperparameters', () => sessionStartEvent({ ...event, hparams }, this.latestStep));
    if (Object.keys(event.metrics).length > 0) {
      const row = {
        kind: 'metrics',
        timeMs: event.timeMs,
        step: this.latestStep,
        values: event.metrics,
      } as const;
      this.writeRow(row);
    }
  }

  writeRunEnd(event: RunEndEvent): void {
    if (this.hparamsLogged) {
      this.write('run end', () => sessionEndEvent(event.timeMs, this.latestStep, event.status));
    }
    this.writer.flush();
  }

  async forceFlush(): Promise<void> {
    this.flushSync();
  }

  flushSync(): void {
    this.writer.flush();
  }

  async shutdown(): Promise<void> {
    this.schedule.stop();
    this.writer.close();
    this.warner.summary();
  }

  private writeRow(event: MetricsEvent): void {
    const length = this.rows.prepare(event);
    this.writer.append(length, (out, offset) => this.rows.encodeInto(event, out, offset));
  }

  /** One bad event must not cost the others of its batch. */
  private write(what: string, encode: () => Uint8Array): void {
    try {
      this.writer.write(encode());
    } catch (error) {
      this.warner.warn(
        `encode:${what}`,
        `TensorBoard: a ${escapeControls(what)} could not be encoded and was skipped: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
