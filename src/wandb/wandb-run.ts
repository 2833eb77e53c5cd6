/**
 * A W&B run as W&B's own client keeps one: history rows merged per step, the summary, the config,
 * run files, system stats, console output and model artifacts, each written as a record to the
 * run's `.wandb` file (offline, and online as the local copy) and, online, streamed to the server.
 * Every write is local and synchronous; the network is the online run's business, on its own
 * timers.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { type DiagnosticLogger, OnceWarner } from '../diagnostics.js';
import { runMetadata, wandbInternalConfig } from './client-info.js';
import { ConsoleCapture, type OutputStream } from './console-capture.js';
import { OUTPUT_FILE } from './file-stream.js';
import { type Combine, type HistoryRow, HistoryRows } from './history.js';
import { HistoryEncoder } from './history-encoder.js';
import { HistorySpool } from './history-spool.js';
import type { WandbHttp } from './http-client.js';
import { stageModel } from './model-artifact.js';
import { OnlineRun, type ResumeMode } from './online-run.js';
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
} from './records.js';
import { RunConfig } from './run-config.js';
import type { WandbRunInfo } from './run-info.js';
import type { RunWriter } from './run-writer.js';
import { eventsLine, outputLine } from './streamed-lines.js';
import { RunSummary, type SummaryAggregate } from './summary.js';
import { wandbJson } from './wandb-json.js';

export interface WandbOnlineOptions {
  readonly http: WandbHttp;
  readonly resume?: ResumeMode;
  /** Time between file_stream data requests, in ms. */
  readonly streamIntervalMs: number;
  /** An empty file_stream request after this long without one, in ms. */
  readonly heartbeatMs: number;
  /** Time `finish` may spend sending what is left, in ms. */
  readonly finishTimeoutMs: number;
  /** See `FileStreamOptions.maxRequestBytes`. */
  readonly maxRequestBytes?: number;
}

export interface WandbRunOptions {
  readonly run: WandbRunInfo;
  /** The run directory and its `.wandb` file. */
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

export class WandbRun {
  private readonly rows: HistoryRows;
  private readonly history = new HistoryEncoder();
  private readonly summary: RunSummary;
  private readonly config = new RunConfig();
  private readonly writer: RunWriter;
  private readonly spool: HistorySpool | undefined;
  private readonly online: OnlineRun | undefined;
  private readonly warner: OnceWarner;
  private readonly console: ConsoleCapture | undefined;
  /** Online: `files/output.log`, uploaded with the run files (a sync makes its own offline). */
  private outputLog: WriteStream | undefined;
  private summaryWritten = 0;
  /** Models being staged: the run's end waits for them to be recorded. */
  private readonly staging = new Set<Promise<unknown>>();
  private ended = false;

  constructor(private readonly options: WandbRunOptions) {
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
    } else {
      // Online, it is written and uploaded at the end; offline, `wandb sync` uploads it.
      const metadata = JSON.stringify(runMetadata(run), null, 2);
      this.saveFile('wandb-metadata.json', metadata, 'wandb-metadata.json');
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

  /** The run directory (it holds the `.wandb` file). */
  get dir(): string {
    return this.writer.dir;
  }

  /** The step of the open row: values for a lower one are dropped, as W&B drops them. */
  get step(): number {
    return this.rows.currentStep;
  }

  /** Values at `step`: merged into its row (`combine` decides for a key written twice). */
  log(
    step: number,
    timeMs: number,
    values: Readonly<Record<string, unknown>>,
    combine?: Combine,
  ): void {
    const result = this.rows.add(step, timeMs, values, combine);
    if (result.accepted && result.committed) this.commitRow(result.committed);
  }

  /** A sample of system metrics under W&B's keys (without `system.`): a stats record, online a line. */
  logStats(timeMs: number, stats: Readonly<Record<string, number>>): void {
    this.writer.write(statsRecord(timeMs, stats));
    const values = Object.entries(stats).map(([key, value]) => [key, wandbJson(value)] as const);
    this.online?.addEvents(eventsLine(values, timeMs, this.options.run.startTimeMs));
  }

  updateConfig(values: Readonly<Record<string, unknown>>): void {
    this.config.update(values);
    this.writer.write(configRecord(values));
    this.online?.configChanged();
  }

  setSummary(values: Readonly<Record<string, unknown>>): void {
    this.summary.set(values);
  }

  /**
   * Writes a file under `files/` (uploaded with the run, or by `wandb sync`); false (warned once
   * per kind of failure, the rest goes on) when it cannot.
   */
  saveFile(path: string, bytes: Uint8Array | string, what: string): boolean {
    try {
      this.writer.writeFile(path, bytes);
    } catch (error) {
      // Once per kind of failure: a full disk fails every media file after it.
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      this.warner.warn(
        `media:${code}`,
        `W&B: ${what} was not saved: ${(error as Error).message} (later media failing the same ` +
          'way are not reported)',
      );
      return false;
    }
    this.writer.write(filesRecord([path]));
    this.online?.addRunFile(path);
    return true;
  }

  /** Stages a model and records it as an artifact; online, resolves once W&B committed it. */
  async logModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[],
  ): Promise<void> {
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

  /** Hands everything written so far to the disk; the stream sends it on its next turn. */
  flush(): void {
    this.writeSummary();
    this.writer.flush();
    this.spool?.persist();
  }

  /**
   * At process exit: commits the open row and writes everything to disk synchronously, for
   * `wandb sync` to upload; with `exitCode`, the run's end too (or a sync uploads it as failed).
   */
  flushSync(exitCode?: number): void {
    const row = this.rows.commit();
    if (row) this.commitRow(row);
    if (exitCode !== undefined) this.end(exitCode);
    this.flush();
  }

  /** Commits the last row, writes the run's end and, online, sends what is left (bounded). */
  async finish(exitCode: number): Promise<void> {
    this.console?.stop();
    this.warner.summary();
    await Promise.all(this.staging);
    const row = this.rows.commit();
    if (row) this.commitRow(row);
    this.end(exitCode);
    this.writer.close();
    const outputLog = this.outputLog;
    if (outputLog) {
      // A write that fails while it ends calls back with 'error', not 'finish'.
      await new Promise<void>((resolve) => outputLog.once('error', () => resolve()).end(resolve));
    }
    try {
      await this.online?.finish(exitCode, this.options.online!.finishTimeoutMs);
    } finally {
      this.spool?.close();
    }
  }

  private end(exitCode: number): void {
    if (this.ended) return;
    this.ended = true;
    this.console?.stop();
    this.writeSummary();
    const runtime = (Date.now() - this.options.run.startTimeMs) / 1000;
    this.writer.write(exitRecord(exitCode, runtime));
    this.writer.write(finalRecord());
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

  private commitRow(row: HistoryRow): void {
    this.summary.addRow(row);
    this.writer.writeEncoded((num) => this.history.encode(num, row));
    this.spool?.append(wandbJson(row));
  }

  private writeSummary(): void {
    if (this.summary.version === this.summaryWritten) return;
    this.summaryWritten = this.summary.version;
    this.writer.write(summaryRecord(this.summary.toJSON()));
  }
}
