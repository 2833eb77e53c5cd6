/**
 * Uploads a recorded run (an offline run's `.wandb` file, or an online run's local copy) through
 * the online client: UpsertBucket creates or finds the run with its config, the models and run
 * files are uploaded, and the file stream sends the history, the summary and the final request
 * with the exit code.
 *
 * Exactly once, even across interrupted uploads: history line `i` always goes to offset `i`, and
 * the upload starts at the server's `historyLineCount`, so rows a previous attempt delivered are
 * not sent again and re-sent requests rewrite the same lines. Artifacts are stored once (the
 * server knows their digest); run files are overwritten with the same bytes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { EVENTS_FILE, FileStream, LineQueue, OUTPUT_FILE, SUMMARY_FILE } from './file-stream.js';
import { type Bucket, runBucketVariables, WandbGraphql } from './graphql.js';
import { HistorySpool } from './history-spool.js';
import type { RetryControl, RetryEvent, WandbHttp } from './http-client.js';
import type { StagedArtifact } from './model-artifact.js';
import type { RecordedRun } from './recorded-run.js';
import { RunConfig } from './run-config.js';
import { putUpload, uploadArtifact } from './uploads.js';

/** Run files the SDK writes for itself; uploaded when present, though no record names them. */
const METADATA_FILE = 'wandb-metadata.json';
/** The exit code of a run that has no exit record (it crashed), as `wandb sync` treats it. */
const CRASHED_EXIT_CODE = 1;

export interface RunSyncOptions {
  readonly http: WandbHttp;
  /** The run directory: run files are under its `files/`, staged models under `artifacts/`. */
  readonly dir: string;
  /** Upload to this project instead of the recorded one. */
  readonly project?: string;
  /** Upload to this entity instead of the recorded one. */
  readonly entity?: string;
  /** Unix ms after which nothing more is attempted; what is left waits for the next upload. */
  readonly deadline: number;
  /** Largest file_stream request in bytes (default W&B's limit, `DEFAULT_MAX_REQUEST_BYTES`). */
  readonly maxRequestBytes?: number;
  /** Before each wait to retry a request. */
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface RunSyncResult {
  /** Where the run is on the server. */
  readonly entity: string;
  readonly project: string;
  readonly id: string;
  /** History rows the server already had (from an earlier, interrupted upload). */
  readonly rowsBefore: number;
  /** History rows sent now. */
  readonly rowsSent: number;
  /** Run files uploaded. */
  readonly files: readonly string[];
  /** Run files the records name that are not in the run directory (not uploaded). */
  readonly missingFiles: readonly string[];
  /** Artifacts (models) stored. */
  readonly artifacts: number;
  /** Why each artifact that was not stored could not be (its staged files are gone). */
  readonly missingArtifacts: readonly string[];
}

/** Uploads `run`; rejects with a message that says what was left for the next attempt. */
export async function syncRun(run: RecordedRun, options: RunSyncOptions): Promise<RunSyncResult> {
  const { http, deadline } = options;
  const control: RetryControl = {
    deadline,
    signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    keepAlive: true,
    onRetry: options.onRetry,
  };
  const graphql = new WandbGraphql(http);
  const config = new RunConfig();
  config.update(run.config);
  const bucket = await graphql.upsertBucket(
    runBucketVariables(
      {
        ...run,
        // W&B's own name for the project of runs that name none.
        project: options.project ?? run.project ?? 'uncategorized',
        entity: options.entity ?? run.entity,
      },
      config.isEmpty ? undefined : config.upsertJson(),
    ),
    control,
  );
  const where = `${bucket.entity}/${bucket.project}/${bucket.name}`;
  const rowsBefore = bucket.inserted ? 0 : bucket.historyLineCount;
  if (rowsBefore > run.history.length) {
    throw new Error(
      `W&B run ${where} already has ${rowsBefore} history rows, more than the ` +
        `${run.history.length} recorded here: it is another run with the same id, or one that ` +
        'was continued elsewhere; no rows were sent',
    );
  }
  const missingArtifacts: string[] = [];
  for (const recorded of run.artifacts) {
    let artifact: StagedArtifact;
    try {
      artifact = locateArtifact(recorded, options.dir);
    } catch (error) {
      missingArtifacts.push((error as Error).message);
      continue;
    }
    await uploadArtifact(http, graphql, bucket, artifact, control);
  }
  const { uploaded, missing } = await uploadRunFiles(
    run,
    config,
    bucket,
    graphql,
    options,
    control,
  );
  const rowsSent = await streamHistory(run, bucket, rowsBefore, uploaded, options);
  return {
    entity: bucket.entity,
    project: bucket.project,
    id: bucket.name,
    rowsBefore,
    rowsSent,
    files: uploaded,
    missingFiles: missing,
    artifacts: run.artifacts.length - missingArtifacts.length,
    missingArtifacts,
  };
}

/** config.yaml and the summary (from the records), the metadata if any, the files records name. */
async function uploadRunFiles(
  run: RecordedRun,
  config: RunConfig,
  bucket: Bucket,
  graphql: WandbGraphql,
  options: RunSyncOptions,
  control: RetryControl,
): Promise<{ uploaded: string[]; missing: string[] }> {
  const filesDir = join(options.dir, 'files');
  const bodies = new Map<string, () => Uint8Array | string>([
    ['config.yaml', () => config.yaml()],
    [SUMMARY_FILE, () => run.summaryJson],
  ]);
  const missing: string[] = [];
  for (const name of [METADATA_FILE, ...run.files]) {
    if (bodies.has(name)) continue;
    const path = resolve(filesDir, name);
    // A record cannot make us upload a file from outside the run's files/.
    const inside = relative(filesDir, path);
    if (inside.startsWith('..') || inside.startsWith(sep) || inside === '') {
      missing.push(name);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      if (name !== METADATA_FILE) missing.push(name);
      continue;
    }
    bodies.set(name, () => bytes);
  }
  const names = [...bodies.keys()];
  const targets = await graphql.createRunFiles(
    { entity: bucket.entity, project: bucket.project, run: bucket.name },
    names,
    control,
  );
  const uploaded: string[] = [];
  // Only the files asked for: a name the server made up must not pick a local file.
  for (const target of targets.filter((t) => bodies.has(t.name))) {
    await putUpload(options.http, target, bodies.get(target.name)!(), control);
    uploaded.push(target.name);
  }
  return { uploaded, missing };
}

/**
 * Sends history rows from `rowsBefore` on, the system metrics and console output (all of them:
 * a repeated upload rewrites the same lines), the summary and the final request.
 */
async function streamHistory(
  run: RecordedRun,
  bucket: Bucket,
  rowsBefore: number,
  uploaded: readonly string[],
  options: RunSyncOptions,
): Promise<number> {
  const spoolDir = mkdtempSync(join(tmpdir(), 'jepa-wandb-sync-'));
  const spool = new HistorySpool(join(spoolDir, 'history.jsonl'));
  try {
    for (const line of run.history.slice(rowsBefore)) spool.append(line);
    const stream = new FileStream({
      http: options.http,
      path: `/files/${[bucket.entity, bucket.project, bucket.name].map(encodeURIComponent).join('/')}/file_stream`,
      spool,
      startOffset: rowsBefore,
      summary: () => run.summaryJson,
      // The stream is not started: finish() sends everything at once, in as few requests as fit.
      intervalMs: 0,
      heartbeatMs: 0,
      maxRequestBytes: options.maxRequestBytes,
      lineFiles: { [EVENTS_FILE]: queueOf(run.events), [OUTPUT_FILE]: queueOf(run.output) },
      onRetry: options.onRetry,
    });
    const result = await stream.finish(
      run.exitCode ?? CRASHED_EXIT_CODE,
      uploaded,
      options.deadline,
    );
    if (!result.complete) {
      const sent = spool.lineCount - result.unsentLines;
      throw new Error(
        `${result.error?.message ?? 'the timeout passed'}; ${sent} of ${spool.lineCount} rows ` +
          'were sent; the next wandb-sync continues from there',
      );
    }
    return spool.lineCount;
  } finally {
    spool.close();
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

function queueOf(lines: readonly string[]): LineQueue {
  const queue = new LineQueue();
  for (const line of lines) queue.append(line);
  return queue;
}

/**
 * The artifact with its staged files found: where the record says, or, for a run directory
 * copied from another machine, at the same place under this run directory's `artifacts/`.
 */
function locateArtifact(artifact: StagedArtifact, dir: string): StagedArtifact {
  return {
    ...artifact,
    files: artifact.files.map((file) => {
      if (isFile(file.localPath)) return file;
      const recorded = file.localPath.split(sep).join('/');
      const suffix = `/${file.path}`;
      const staging = recorded.endsWith(suffix) ? basename(recorded.slice(0, -suffix.length)) : '';
      const moved = join(dir, 'artifacts', staging, ...file.path.split('/'));
      if (staging && isFile(moved)) return { ...file, localPath: moved };
      throw new Error(
        `${artifact.type} '${artifact.name}': its staged file ${file.path} is neither at ` +
          `${file.localPath} nor at ${moved}`,
      );
    }),
  };
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
