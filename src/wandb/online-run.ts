/**
 * A run on a W&B server: UpsertBucket creates it (retried for as long as the server is away), the
 * file stream sends history and summary, config changes go out as further UpsertBuckets, models
 * go through the artifact mutations, and at the end the run files are uploaded and the final
 * request sent, all within the finish timeout. Everything here runs on timers and promises, never
 * on the caller's path; failures are reported to the diagnostics, once, without the API key.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiagnosticLogger } from '../diagnostics.js';
import { runMetadata } from './client-info.js';
import { EVENTS_FILE, FileStream, LineQueue, OUTPUT_FILE, SUMMARY_FILE } from './file-stream.js';
import { type Bucket, runBucketVariables, WandbGraphql } from './graphql.js';
import type { HistorySpool } from './history-spool.js';
import type { RetryControl, RetryEvent, WandbHttp } from './http-client.js';
import type { StagedArtifact } from './model-artifact.js';
import type { RunConfig } from './run-config.js';
import type { WandbRunInfo } from './run-info.js';
import type { RunWriter } from './run-writer.js';
import { putUpload, uploadArtifact } from './uploads.js';

export type ResumeMode = 'allow' | 'must' | 'never';

export interface OnlineRunOptions {
  readonly http: WandbHttp;
  readonly run: WandbRunInfo;
  /** What to do when the server already has a run with this id. Default: continue it. */
  readonly resume?: ResumeMode;
  readonly config: RunConfig;
  /** The whole summary as JSON, as it is now. */
  readonly summaryJson: () => string;
  readonly spool: HistorySpool;
  /** The run directory: run files are written to its `files/` before they are uploaded. */
  readonly writer: RunWriter;
  /** Time between file_stream data requests, in ms. */
  readonly streamIntervalMs: number;
  /** An empty file_stream request after this long without one, in ms. */
  readonly heartbeatMs: number;
  /** See `FileStreamOptions.maxRequestBytes`. */
  readonly maxRequestBytes?: number;
  readonly diagnostics: DiagnosticLogger;
}

export class OnlineRun {
  private readonly graphql: WandbGraphql;
  private readonly ready: Promise<Bucket | undefined>;
  private readonly abort = new AbortController();
  private stream: FileStream | undefined;
  private configSent = 0;
  private configSync: Promise<void> = Promise.resolve();
  private readonly artifacts = new Set<Promise<unknown>>();
  private readonly mediaFiles: string[] = [];
  /** Lines waiting for the stream (it starts once the run exists on the server). */
  private readonly events = new LineQueue();
  private readonly output = new LineQueue();
  /** The console output was captured: `output.log` is uploaded with the run files. */
  private outputWritten = false;
  private outage = false;
  /** The run could not be created and that was reported. */
  private startFailed = false;

  constructor(private readonly options: OnlineRunOptions) {
    this.graphql = new WandbGraphql(options.http);
    this.ready = this.start();
  }

  /** Sends the config again (coalesced: only the latest goes out). */
  configChanged(): void {
    this.configSync = this.configSync.then(() => this.sendConfig());
  }

  /** One `wandb-events.jsonl` line (a sample of system metrics). */
  addEvents(line: string): void {
    this.events.append(line);
  }

  /** One `output.log` line, its timestamp prefix included; the file is uploaded at the end. */
  addOutput(line: string): void {
    this.output.append(line);
    this.outputWritten = true;
  }

  /** A file under `files/` to upload with the run files at the end. */
  addRunFile(path: string): void {
    this.mediaFiles.push(path);
  }

  /** Uploads a staged model; resolves when W&B has committed it, rejects with a clear error. */
  logArtifact(artifact: StagedArtifact): Promise<void> {
    const upload = this.uploadArtifact(artifact);
    const tracked = upload.catch(() => {});
    this.artifacts.add(tracked);
    void tracked.finally(() => this.artifacts.delete(tracked));
    return upload;
  }

  /** Sends what is left, the run files and the final request; gives up after `timeoutMs`. */
  async finish(exitCode: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { dir } = this.options.writer;
    const hint = keptHint(dir);
    const bucket = await beforeDeadline(this.ready, deadline);
    if (!bucket) {
      this.abort.abort();
      if (!this.startFailed) {
        this.options.diagnostics.error(`W&B: the server did not answer in time; ${hint}`);
      }
      return;
    }
    const stream = this.stream!;
    await stream.stop();
    await beforeDeadline(this.configSync, deadline);
    await beforeDeadline(Promise.allSettled(this.artifacts), deadline);
    const uploaded = stream.error ? [] : await this.uploadRunFiles(bucket, deadline);
    const result = await stream.finish(exitCode, uploaded, deadline);
    this.abort.abort();
    if (!result.complete) {
      const reason = result.error?.message ?? 'the finish timeout passed';
      this.options.diagnostics.error(
        `W&B: the run did not finish on the server (${reason}); ${result.unsentLines} history ` +
          `rows were not sent; ${hint}`,
      );
    }
  }

  private async start(): Promise<Bucket | undefined> {
    const { run, config } = this.options;
    try {
      this.configSent = config.version;
      const bucket = await this.graphql.upsertBucket(
        runBucketVariables(run, config.isEmpty ? undefined : config.upsertJson()),
        // The run is created however long the server is away: rows wait on disk meanwhile.
        { maxAttempts: Number.POSITIVE_INFINITY, ...this.control() },
      );
      this.checkResume(bucket);
      this.onRecovered('UpsertBucket');
      if (!bucket.inserted) {
        // A continued run's system metrics and console output go after what the server has.
        this.events.offset = bucket.eventsLineCount;
        this.output.offset = bucket.logLineCount;
      }
      this.stream = new FileStream({
        http: this.options.http,
        path: `/files/${[bucket.entity, bucket.project, bucket.name].map(encodeURIComponent).join('/')}/file_stream`,
        spool: this.options.spool,
        startOffset: bucket.inserted ? 0 : bucket.historyLineCount,
        summary: this.options.summaryJson,
        intervalMs: this.options.streamIntervalMs,
        heartbeatMs: this.options.heartbeatMs,
        maxRequestBytes: this.options.maxRequestBytes,
        lineFiles: { [EVENTS_FILE]: this.events, [OUTPUT_FILE]: this.output },
        onRetry: (event) => this.onRetry(event),
        onRecovered: () => this.onRecovered('file_stream'),
        onStopped: () =>
          this.options.diagnostics.warning(
            `W&B: run ${run.id} was stopped from the W&B app; logging goes on locally and to the server`,
          ),
      });
      this.stream.start();
      return bucket;
    } catch (error) {
      if (!this.abort.signal.aborted) {
        this.startFailed = true;
        this.report(error);
      }
      return undefined;
    }
  }

  private checkResume(bucket: Bucket): void {
    const { resume, run } = this.options;
    const where = `${bucket.entity}/${bucket.project}`;
    if (!bucket.inserted && resume === 'never') {
      throw new Error(`W&B run ${run.id} already exists in ${where} and resume is 'never'`);
    }
    if (bucket.inserted && resume === 'must') {
      throw new Error(`W&B run ${run.id} did not exist in ${where} and resume is 'must'`);
    }
    if (!bucket.inserted) {
      this.options.diagnostics.info(
        `W&B: continuing run ${run.id} in ${where} after its ${bucket.historyLineCount} rows`,
      );
    }
  }

  private async sendConfig(): Promise<void> {
    const bucket = await this.ready;
    const { config } = this.options;
    if (!bucket || this.configSent === config.version) return;
    this.configSent = config.version;
    try {
      await this.graphql.upsertBucket(
        {
          name: bucket.name,
          project: bucket.project,
          entity: bucket.entity,
          config: config.upsertJson(),
        },
        this.control(),
      );
    } catch (error) {
      if (!this.abort.signal.aborted) this.report(error);
    }
  }

  private async uploadArtifact(artifact: StagedArtifact): Promise<void> {
    const bucket = await this.ready;
    if (!bucket) {
      throw new Error(
        `W&B: model '${artifact.name}' was not uploaded: the run could not be created on the server`,
      );
    }
    await uploadArtifact(this.options.http, this.graphql, bucket, artifact, this.control());
  }

  /** Writes config.yaml, the summary and the metadata, uploads them and the media files. */
  private async uploadRunFiles(bucket: Bucket, deadline: number): Promise<string[]> {
    const { writer, config, run } = this.options;
    const names = [
      'config.yaml',
      SUMMARY_FILE,
      'wandb-metadata.json',
      ...(this.outputWritten ? [OUTPUT_FILE] : []),
      ...this.mediaFiles,
    ];
    const control: RetryControl = {
      deadline,
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      keepAlive: true,
      onRetry: (event) => this.onRetry(event),
    };
    const uploaded: string[] = [];
    // Within the try: a full disk costs the run files, not the end of the run.
    try {
      writer.writeFile('config.yaml', config.yaml());
      writer.writeFile(SUMMARY_FILE, this.options.summaryJson());
      writer.writeFile('wandb-metadata.json', JSON.stringify(runMetadata(run), null, 2));
      const targets = await this.graphql.createRunFiles(
        { entity: bucket.entity, project: bucket.project, run: bucket.name },
        names,
        control,
      );
      // Only the files asked for: a name the server made up must not pick a local file.
      for (const target of targets.filter((t) => names.includes(t.name))) {
        await putUpload(
          this.options.http,
          target,
          await readFile(join(writer.filesDir, target.name)),
          control,
        );
        uploaded.push(target.name);
      }
    } catch (error) {
      this.report(error);
    }
    return uploaded;
  }

  private control(): RetryControl {
    return { signal: this.abort.signal, onRetry: (event) => this.onRetry(event) };
  }

  private onRetry(event: RetryEvent): void {
    if (this.outage) return;
    this.outage = true;
    this.options.diagnostics.warning(
      `W&B ${event.what}: ${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)} s ` +
        `(rows wait on disk in ${this.options.writer.dir}; nothing is lost)`,
    );
  }

  private onRecovered(what: string): void {
    if (!this.outage) return;
    this.outage = false;
    // At the level of the retry warning it ends: whoever saw that one must see this one.
    this.options.diagnostics.warning(`W&B ${what}: the server answers again`);
  }

  private report(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const { dir } = this.options.writer;
    this.options.diagnostics.error(`${message}; ${keptHint(dir)}`);
  }
}

/** Where a run that did not reach the server is, and the commands that upload it later. */
function keptHint(dir: string): string {
  return (
    `the run is kept in ${dir}; upload it later with ` +
    `\`jepa-loggers wandb-sync --include-online ${dir}\` (or \`wandb sync --include-online ${dir}\`)`
  );
}

/** `promise`'s value, or undefined once `deadline` (unix ms) has passed. */
async function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), undefined);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
