/**
 * Training events as a W&B run: rows become history (merged per step, lower steps dropped as W&B
 * drops them), media become files and history values, hyperparameters the config, the run's end
 * its exit code. Every write is local and synchronous: a record appended to the run's `.wandb`
 * file and, online, a line appended to the spool the file stream reads. The network is the
 * online run's business, on its own timers.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
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
import { runMetadata, wandbInternalConfig } from '../../wandb/client-info.js';
import { ConsoleCapture, type OutputStream } from '../../wandb/console-capture.js';
import { OUTPUT_FILE } from '../../wandb/file-stream.js';
import { type Combine, type HistoryRow, HistoryRows } from '../../wandb/history.js';
import { HistoryEncoder } from '../../wandb/history-encoder.js';
import { HistorySpool } from '../../wandb/history-spool.js';
import type { WandbHttp } from '../../wandb/http-client.js';
import {
  combineImages,
  histogramValue,
  htmlFileValue,
  imageFileValue,
  mediaFile,
  textHtml,
} from '../../wandb/media.js';
import { stageModel } from '../../wandb/model-artifact.js';
import { OnlineRun, type ResumeMode } from '../../wandb/online-run.js';
import {
  artifactRecord,
  configRecord,
  exitRecord,
  filesRecord,
  finalRecord,
  headerRecord,
  outputRawRecord,
  runRecord,
  statsRecord,
  summaryRecord,
} from '../../wandb/records.js';
import { RunConfig } from '../../wandb/run-config.js';
import type { WandbRunInfo } from '../../wandb/run-info.js';
import type { RunWriter } from '../../wandb/run-writer.js';
import { eventsLine, outputLine } from '../../wandb/streamed-lines.js';
import { RunSummary, type SummaryAggregate } from '../../wandb/summary.js';
import { wandbSystemStats } from '../../wandb/system-stats.js';
import { wandbJson } from '../../wandb/wandb-json.js';
import type { TrainingSink } from '../training-sink.js';

export interface WandbOnlineOptions {
  readonly http: WandbHttp;
  readonly resume?: ResumeMode;
  /** Time between file_stream data requests, in ms. */
  readonly streamIntervalMs: number;
  /** An empty file_stream request after this long without one, in ms. */
  readonly heartbeatMs: number;
  /** Time `shutdown` may spend sending what is left, in ms. */
  readonly finishTimeoutMs: number;
  /** See `FileStreamOptions.maxRequestBytes`. */
  readonly maxRequestBytes?: number;
}

export interface WandbSinkOptions {
  readonly run: WandbRunInfo;
  /** The run directory and its `.wandb` file (offline, and online as the local copy). */
  readonly writer: RunWriter;
  /** Streams the run to a server; offline when absent. */
  readonly online?: WandbOnlineOptions;
  /** Per metric key, the aggregates its summary holds instead of the last value. */
  readonly summary?: Readonly<Record<string, readonly SummaryAggregate[]>>;
  /**
   * Copies console output to W&B's Logs tab: what our console backend prints and, with
   * `wholeProcess`, all the process prints (W&B's `console: wrap`); `mask` applied to each line
   * copied (see `maskingOf`).
   */
  readonly captureConsole?: {
    readonly mask: (line: string) => string;
    readonly wholeProcess?: boolean;
  };
  readonly diagnostics: DiagnosticLogger;
}

export class WandbSink implements TrainingSink {
  private readonly rows: HistoryRows;
  private readonly history = new HistoryEncoder();
  private readonly summary: RunSummary;
  private readonly config = new RunConfig();
  private readonly writer: RunWriter;
  private readonly spool: HistorySpool | undefined;
  private readonly online: OnlineRun | undefined;
  private readonly warner: OnceWarner;
  private summaryWritten = 0;
  private exitCode = 0;
  /** A `jepa.run.end` event arrived: the run is over, whatever closes it. */
  private ended = false;
  private dropped = 0;
  /** Models being staged: the run's end waits for them to be recorded. */
  private readonly staging = new Set<Promise<unknown>>();
  private readonly console: ConsoleCapture | undefined;
  /** Online: `files/output.log`, uploaded with the run files (a sync makes its own offline). */
  private outputLog: WriteStream | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WandbSinkOptions) {
    const { run, writer, online, diagnostics } = options;
    this.writer = writer;
    this.warner = new OnceWarner(diagnostics);
    this.rows = new HistoryRows(run.startTimeMs);
    this.summary = new RunSummary(options.summary ?? {});
    // W&B's client sets `_wandb` (the client and runtime versions) before anything else.
    const internal = { _wandb: wandbInternalConfig() };
    this.config.update(internal);
    writer.write(headerRecord());
    writer.write(runRecord(run, internal));
    if (online) {
      this.spool = new HistorySpool(
        join(writer.dir, 'spool', 'wandb-history.jsonl'),
        undefined,
        diagnostics,
      );
      this.online = new OnlineRun({
        ...online,
        run,
        config: this.config,
        summaryJson: () => wandbJson(this.summary.toJSON()),
        spool: this.spool,
        writer,
        diagnostics,
      });
    }
    if (!online) {
      // Online, it is written and uploaded at the end; offline, `wandb sync` uploads it.
      const metadata = JSON.stringify(runMetadata(run), null, 2);
      this.saveMedia('wandb-metadata.json', metadata, 'wandb-metadata.json');
    }
    if (options.captureConsole) {
      if (online) {
        const path = join(writer.filesDir, OUTPUT_FILE);
        this.outputLog = createWriteStream(path).on('error', (error) => {
          // A full or read-only disk: the lines still reach the server and the .wandb file.
          this.outputLog = undefined;
          this.warner.warn(
            'output-log',
            `W&B: writing ${path} failed: ${error.message}; console output is still streamed`,
          );
        });
      }
      this.console = new ConsoleCapture(
        (stream, line, timeMs) => this.writeOutput(stream, line, timeMs),
        options.captureConsole.mask,
        options.captureConsole.wholeProcess,
      );
    }
  }

  /**
   * A sample of system metrics: a stats record (a sync streams it to `wandb-events.jsonl`) and,
   * online, that line, with W&B's keys and times.
   */
  writeSystem(event: SystemEvent): void {
    if (this.closing) return;
    const stats = wandbSystemStats(event.values);
    this.writer.write(statsRecord(event.timeMs, stats));
    const values = Object.entries(stats).map(([key, value]) => [key, wandbJson(value)] as const);
    this.online?.addEvents(eventsLine(values, event.timeMs, this.options.run.startTimeMs));
  }

  writeMetrics(event: MetricsEvent): void {
    if (this.accepts(event.step)) this.add(event.step, event.timeMs, event.values);
  }

  writeHistogram(event: HistogramEvent): void {
    if (this.accepts(event.step)) {
      this.add(event.step, event.timeMs, { [event.tag]: histogramValue(event.histogram) });
    }
  }

  writeImage(event: ImageEvent): void {
    if (!this.accepts(event.step)) return;
    const file = mediaFile('images', event.tag, event.step, event.png, 'png');
    if (!this.saveMedia(file.path, file.bytes, `image '${event.tag}'`)) return;
    const value = imageFileValue(file, event.width, event.height);
    this.add(event.step, event.timeMs, { [event.tag]: value }, combineImages);
  }

  writeText(event: TextEvent): void {
    if (!this.accepts(event.step)) return;
    const file = mediaFile(
      'html',
      event.tag,
      event.step,
      Buffer.from(textHtml(event.text)),
      'html',
    );
    if (!this.saveMedia(file.path, file.bytes, `text '${event.tag}'`)) return;
    this.add(event.step, event.timeMs, { [event.tag]: htmlFileValue(file) });
  }

  writeHparams(event: HparamsEvent): void {
    if (this.closing) return;
    // Masked as config dumps are: W&B shows the config to everyone who can see the run.
    const hparams = maskSecretNames(event.hparams);
    this.config.update(hparams);
    this.writer.write(configRecord(hparams));
    if (Object.keys(event.metrics).length > 0) this.summary.set(event.metrics);
    this.online?.configChanged();
  }

  writeRunEnd(event: RunEndEvent): void {
    this.exitCode = event.exitCode;
    this.ended = true;
  }

  /** Hands everything written so far to the disk; the stream sends it on its next turn. */
  async forceFlush(): Promise<void> {
    if (this.closing) return;
    this.writeSummary();
    this.writer.flush();
    this.spool?.persist();
  }

  /**
   * At process exit: commits the open row (later writes at its step would be dropped, as after a
   * step advance) and writes everything to disk synchronously, for `wandb sync` to upload.
   */
  flushSync(): void {
    if (this.closing) return;
    const row = this.rows.commit();
    if (row) this.commitRow(row);
    this.writeSummary();
    if (this.ended) {
      // The run ended (the process is exiting): its exit record, or a sync uploads it as failed.
      this.closing = Promise.resolve();
      this.console?.stop();
      this.writer.write(
        exitRecord(this.exitCode, (Date.now() - this.options.run.startTimeMs) / 1000),
      );
      this.writer.write(finalRecord());
    }
    this.writer.flush();
    this.spool?.persist();
  }

  /**
   * The run stopped waiting for this sink (`finish()` reached `flush_timeout`): online, say where
   * what the server may not have received is, and how to send it.
   */
  abandon(): void {
    if (!this.options.online) return;
    const dir = this.options.writer.dir;
    this.options.diagnostics.warning(
      `W&B: finish() stopped waiting for the server; every row is in ${dir} (the .wandb file): ` +
        `\`jepa-loggers wandb-sync ${dir}\` uploads what the server did not get`,
    );
  }

  /** Commits the last row, writes the run's end and, online, sends what is left (bounded). */
  shutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  /** Stages a model and records it as an artifact; online, resolves once W&B committed it. */
  async logModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[],
  ): Promise<void> {
    if (this.closing) throw new Error(`logModel('${name}') after the W&B run finished`);
    const staging = stageModel(model, name, aliases, join(this.writer.dir, 'artifacts'));
    const tracked = staging.catch(() => {});
    this.staging.add(tracked);
    let staged: Awaited<typeof staging>;
    try {
      staged = await staging;
      this.writer.write(
        artifactRecord({ ...staged, run: this.options.run, entries: staged.files }),
      );
    } finally {
      this.staging.delete(tracked);
    }
    await this.online?.logArtifact(staged);
  }

  private async close(): Promise<void> {
    this.console?.stop();
    this.warner.summary();
    await Promise.all(this.staging);
    const row = this.rows.commit();
    if (row) this.commitRow(row);
    this.writeSummary();
    const runtime = (Date.now() - this.options.run.startTimeMs) / 1000;
    this.writer.write(exitRecord(this.exitCode, runtime));
    this.writer.write(finalRecord());
    this.writer.close();
    const outputLog = this.outputLog;
    if (outputLog) {
      // A write that fails while it ends calls back with 'error', not 'finish'.
      await new Promise<void>((resolve) => outputLog.once('error', () => resolve()).end(resolve));
    }
    if (this.dropped > 0) {
      this.options.diagnostics.warning(
        `W&B: ${this.dropped} writes were dropped because their step was below the run's current step`,
      );
    }
    try {
      await this.online?.finish(this.exitCode, this.options.online!.finishTimeoutMs);
    } finally {
      this.spool?.close();
    }
  }

  /**
   * One line of console output: an `output_raw` record as W&B writes it (a sync streams it to
   * `output.log`) and, online, its `output.log` line.
   */
  private writeOutput(stream: OutputStream, line: string, timeMs: number): void {
    if (this.writer.closed) return;
    this.writer.write(outputRawRecord(timeMs, stream, `${line}\n`));
    if (!this.online) return;
    const logged = outputLine(stream, line, timeMs);
    this.online.addOutput(logged);
    this.outputLog?.write(`${logged}\n`);
  }

  /** False (counted, warned once) when `step` is below the current one: W&B would ignore it. */
  private accepts(step: number): boolean {
    if (this.closing) return false;
    if (step >= this.rows.currentStep) return true;
    this.dropped += 1;
    this.warner.warn(
      'step-back',
      `W&B: a write at step ${step} was dropped: the run is at step ${this.rows.currentStep} and ` +
        'W&B steps only move forward (later drops are counted, not shown)',
    );
    return false;
  }

  private add(
    step: number,
    timeMs: number,
    values: Readonly<Record<string, unknown>>,
    combine?: Combine,
  ): void {
    const result = this.rows.add(step, timeMs, values, combine);
    if (result.accepted && result.committed) this.commitRow(result.committed);
  }

  private commitRow(row: HistoryRow): void {
    this.summary.addRow(row);
    this.writer.writeEncoded((num) => this.history.encode(num, row));
    this.spool?.append(wandbJson(row));
  }

  /** Writes a media file under `files/`; false (warned, the rest goes on) when it cannot. */
  private saveMedia(path: string, bytes: Uint8Array | string, what: string): boolean {
    try {
      this.writer.writeFile(path, bytes);
    } catch (error) {
      // Once per kind of failure: a full disk fails every media file after it.
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      this.warner.warn(
        `media:${code}`,
        `W&B: ${escapeControls(what)} was not saved: ${(error as Error).message} (later media failing the same ` +
          'way are not reported)',
      );
      return false;
    }
    this.writer.write(filesRecord([path]));
    this.online?.addRunFile(path);
    return true;
  }

  private writeSummary(): void {
    if (this.summary.version === this.summaryWritten) return;
    this.summaryWritten = this.summary.version;
    this.writer.write(summaryRecord(this.summary.toJSON()));
  }
}
