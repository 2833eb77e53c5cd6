/**
 * `jepa-loggers wandb-sync PATH...`: uploads W&B runs written offline with jepa-loggers' own W&B
 * client (src/wandb/, docs/wandb-client.md), so a machine with Node and no Python can sync. Runs
 * are found, skipped and marked as `wandb sync` does it; each is uploaded exactly once.
 * Exit code 0 when every run was uploaded, 1 when one failed, 2 for a usage error.
 */
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_BASE_URL,
  findRunFiles,
  isOnlineRun,
  isSynced,
  markSynced,
  type ReadRun,
  type RunSyncResult,
  readRecordedRun,
  syncRun,
  WandbHttp,
  wandbApiKey,
} from '../wandb/index.js';
import { type CommandIo, type Output, parseCommandLine } from './command-line.js';

const DEFAULT_TIMEOUT_SECONDS = 600;
/** Timers cannot wait longer than about 24.8 days; a day is plenty for one run. */
const MAX_TIMEOUT_SECONDS = 86_400;
/** Time allowed to one HTTP request, as the W&B backend's default `request_timeout`. */
const REQUEST_TIMEOUT_MS = 60_000;

export const WANDB_SYNC_USAGE = `Usage: jepa-loggers wandb-sync [options] PATH...

Uploads W&B runs written offline (wandb/offline-run-*) to the W&B server with jepa-loggers' own
client: no Python needed. PATH is a run directory, its .wandb file, a wandb/ directory of runs,
or the directory that holds wandb/. Each run is uploaded once: it is then marked synced
(run-<id>.wandb.synced, as \`wandb sync\` marks it) and skipped; an interrupted upload resumes
where the server's copy ends. Uploaded: config, history rows, summary, exit code, media and
other run files, and models (artifacts); not system metrics or console output.

The server is WANDB_BASE_URL (default the W&B cloud); the API key is WANDB_API_KEY, else the
one \`wandb login\` saved in ~/.netrc.

Options:
  --include-online        also runs written in online mode (wandb/run-*), e.g. ones whose
                          upload did not finish
  --include-synced        upload runs already marked synced again
  -p, --project <name>    upload to this project instead of the recorded one
  -e, --entity <name>     upload to this entity instead of the recorded one
  --timeout <secs>        time allowed to each run (default ${DEFAULT_TIMEOUT_SECONDS}); what is left
                          is sent by the next call
  --dry-run               list the runs that would be uploaded; upload nothing
  -h, --help              this text
`;

/** `env` is where WANDB_BASE_URL, WANDB_API_KEY, NETRC and HOME are read. */
export interface WandbSyncIo extends CommandIo {
  /** Largest file_stream request in bytes (default W&B's limit). */
  readonly maxRequestBytes?: number;
}

export async function runWandbSync(args: readonly string[], io: WandbSyncIo = {}): Promise<number> {
  const line = parseCommandLine(
    'wandb-sync',
    WANDB_SYNC_USAGE,
    io,
    () => parseOptions(args),
    (positionals) => (positionals.length > 0 ? undefined : 'name the runs to upload'),
  );
  if (typeof line === 'number') return line;
  const { values, positionals, out, err, env } = line;
  const timeout = Number(values.timeout ?? DEFAULT_TIMEOUT_SECONDS);
  if (!(timeout > 0 && timeout <= MAX_TIMEOUT_SECONDS)) {
    err.write(
      `wandb-sync: --timeout '${values.timeout}' must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}\n`,
    );
    return 2;
  }
  let files: string[];
  try {
    files = selectRuns(findRunFiles(positionals), values, err);
  } catch (error) {
    err.write(`wandb-sync: ${(error as Error).message}\n`);
    return 2;
  }
  if (files.length === 0) {
    out.write('No runs to sync.\n');
    return 0;
  }
  if (values['dry-run']) return dryRun(files, out, err);

  const baseUrl = env.WANDB_BASE_URL || DEFAULT_BASE_URL;
  const apiKey = wandbApiKey(baseUrl, env, env.WANDB_API_KEY);
  if (!apiKey) {
    err.write(
      `wandb-sync: no API key for ${baseUrl}: set WANDB_API_KEY, or run \`wandb login\` (it saves the key in ~/.netrc)\n`,
    );
    return 1;
  }
  const http = new WandbHttp({ baseUrl, apiKey, timeoutMs: REQUEST_TIMEOUT_MS });
  let failed = 0;
  for (const file of files) {
    try {
      const read = readRun(file, err);
      const result = await syncRun(read.run, {
        http,
        dir: dirname(file),
        project: values.project,
        entity: values.entity,
        deadline: Date.now() + timeout * 1000,
        maxRequestBytes: io.maxRequestBytes,
        onRetry: (event) =>
          err.write(
            `wandb-sync: ${event.what}: ${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)} s\n`,
          ),
      });
      markSynced(file);
      report(file, result, out, err);
    } catch (error) {
      failed += 1;
      err.write(`wandb-sync: ${file}: ${http.redact((error as Error).message)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

function parseOptions(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      'include-online': { type: 'boolean' },
      'include-synced': { type: 'boolean' },
      project: { type: 'string', short: 'p' },
      entity: { type: 'string', short: 'e' },
      timeout: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** The files to upload: synced and online runs left out unless asked for, and said so. */
function selectRuns(
  files: readonly string[],
  values: { 'include-online'?: boolean; 'include-synced'?: boolean },
  err: Output,
): string[] {
  const synced = values['include-synced'] ? [] : files.filter(isSynced);
  const online = values['include-online'] ? [] : files.filter(isOnlineRun);
  if (synced.length > 0) {
    err.write(`Skipped ${synced.length} synced run(s); --include-synced uploads them again.\n`);
  }
  const onlineOnly = online.filter((file) => !synced.includes(file));
  if (onlineOnly.length > 0) {
    err.write(`Skipped ${onlineOnly.length} online run(s); --include-online includes them.\n`);
  }
  return files.filter((file) => !synced.includes(file) && !online.includes(file));
}

function dryRun(files: readonly string[], out: Output, err: Output): number {
  let failed = 0;
  out.write(`Would sync ${files.length} run(s):\n`);
  for (const file of files) {
    try {
      const { run } = readRun(file, err);
      const where = [run.entity ?? '(default entity)', run.project ?? '(default project)', run.id];
      out.write(
        `  ${file} -> ${where.join('/')}: ${run.history.length} rows, ${run.files.length} ` +
          `media and other files, ${run.artifacts.length} models\n`,
      );
    } catch (error) {
      failed += 1;
      err.write(`wandb-sync: ${file}: ${(error as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

/** Reads a run, warning about what could not be read and about a run that never ended. */
function readRun(file: string, err: Output): ReadRun {
  const read = readRecordedRun(file);
  for (const damage of read.damage) {
    err.write(
      `wandb-sync: ${file}: ${damage.skippedBytes} bytes from byte ${damage.offset} could not be ` +
        `read (${damage.reason}); the records in them are left out\n`,
    );
  }
  if (read.tornTailBytes > 0) {
    err.write(
      `wandb-sync: ${file}: the last ${read.tornTailBytes} bytes are an unfinished record ` +
        '(the writer stopped mid-write); left out\n',
    );
  }
  if (read.run.exitCode === undefined) {
    err.write(
      `wandb-sync: ${file}: the run has no exit record (it crashed or is still running); ` +
        'uploaded as failed (exit code 1), as wandb sync does\n',
    );
  }
  return read;
}

function report(file: string, result: RunSyncResult, out: Output, err: Output): void {
  const before = result.rowsBefore > 0 ? ` (after the ${result.rowsBefore} already there)` : '';
  out.write(
    `Synced ${file} -> ${result.entity}/${result.project}/${result.id}: ${result.rowsSent} rows${before}, ` +
      `${result.files.length} files, ${result.artifacts} models\n`,
  );
  if (result.missingFiles.length > 0) {
    err.write(
      `wandb-sync: ${file}: not in the run's files/, not uploaded: ${result.missingFiles.join(', ')}\n`,
    );
  }
  for (const message of result.missingArtifacts) {
    err.write(`wandb-sync: ${file}: not uploaded: ${message}\n`);
  }
}
