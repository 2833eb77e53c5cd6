/**
 * The W&B backend from its configuration section: the mode (online, offline, disabled), the run's
 * identity on W&B, the API key (a missing one is a ConfigError), and the sink behind an ordinary
 * OTel log-record exporter. Here, not under exporters/, because it reads the configuration, as
 * backend-sinks.ts does for the console and TensorBoard.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, type ConfigProblem } from '../config/errors.js';
import type { WandbSection } from '../config/sections/wandb.js';
import type { DiagnosticLogger } from '../diagnostics.js';
import type { Environment } from '../environment.js';
import type { RunIdentity } from '../events/run-identity.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import { stepAwareBackend } from '../exporters/step-aware-backend.js';
import { WandbSink } from '../exporters/wandb/wandb-sink.js';
import type { RunWriter, WandbRunInfo } from '../wandb/index.js';
import { wandbClient } from '../wandb/on-demand.js';

export type WandbMode = 'online' | 'offline' | 'disabled';

export interface WandbBackendContext {
  readonly identity: RunIdentity;
  readonly env: Environment;
  readonly diagnostics: DiagnosticLogger;
  /** How often instruments that are not the run's own are collected, in ms. */
  readonly exportIntervalMillis: number;
  /** Where `dir` is relative to, and the default `dir`. Default the working directory. */
  readonly cwd?: string;
}

/** The mode, with W&B's aliases resolved (`dryrun` is offline, `run` online). */
export function wandbMode(mode: WandbSection['mode']): WandbMode {
  if (mode === 'dryrun') return 'offline';
  if (mode === 'run') return 'online';
  return mode;
}

/**
 * The backend. Disabled, and on ranks other than 0 unless `all_ranks`, it has no exporters at all,
 * so it costs nothing. Online without an API key is a ConfigError naming `WANDB_API_KEY`.
 */
export function wandbBackend(
  section: WandbSection,
  context: WandbBackendContext,
): TelemetryBackend {
  const sink = wandbSink(section, context);
  if (!sink) return { name: 'wandb' };
  return {
    ...stepAwareBackend('wandb', sink, {
      logFrequency: section.log_frequency,
      exportIntervalMillis: context.exportIntervalMillis,
    }),
    logModel: (model, name, aliases) => sink.logModel(model, name, aliases),
    abandon: () => sink.abandon(),
  };
}

/**
 * The run's sink: undefined when disabled, on a rank that does not write, or when its directory
 * cannot be made (training goes on without W&B, and says so).
 */
export function wandbSink(
  section: WandbSection,
  context: Omit<WandbBackendContext, 'exportIntervalMillis'>,
): WandbSink | undefined {
  const mode = wandbMode(section.mode);
  const { identity } = context;
  if (mode === 'disabled' || (identity.rank !== 0 && !section.all_ranks)) return undefined;
  const { DEFAULT_BASE_URL, maskingOf, RunWriter, WandbHttp } = wandbClient();
  const baseUrl = section.base_url ?? DEFAULT_BASE_URL;
  const apiKey = mode === 'online' ? wandbApiKey(section, context.env) : undefined;
  if (mode === 'online' && !apiKey) throw new ConfigError([missingApiKey(section)]);
  const run = runInfo(section, identity);
  const root = section.dir ?? context.cwd ?? process.cwd();
  let writer: RunWriter | undefined;
  try {
    writer = new RunWriter({
      root,
      runId: run.id,
      startTimeMs: run.startTimeMs,
      offline: mode === 'offline',
      diagnostics: context.diagnostics,
    });
    return new WandbSink({
      run,
      writer,
      summary: section.summary,
      // Offline too: a key printed now would be uploaded by a later sync.
      captureConsole:
        section.console === 'wrap'
          ? {
              mask: maskingOf([wandbApiKey(section, context.env) ?? '']),
              wholeProcess: section.capture_output,
            }
          : undefined,
      diagnostics: context.diagnostics,
      online: apiKey
        ? {
            http: new WandbHttp({ baseUrl, apiKey, timeoutMs: section.request_timeout * 1000 }),
            resume: section.resume,
            streamIntervalMs: section.stream_interval * 1000,
            heartbeatMs: section.heartbeat_interval * 1000,
            finishTimeoutMs: section.finish_timeout * 1000,
          }
        : undefined,
    });
  } catch (error) {
    writer?.close();
    context.diagnostics.error(
      `W&B: cannot create the run directory under ${root}: ${(error as Error).message}; ` +
        'this run is not written to W&B',
    );
    return undefined;
  }
}

/**
 * The API key of an online run: `api_key` (which WANDB_API_KEY fills), else the one `wandb login`
 * saved in netrc for the server's host.
 */
export function wandbApiKey(section: WandbSection, env: Environment): string | undefined {
  const { DEFAULT_BASE_URL, wandbApiKey: serverApiKey } = wandbClient();
  return serverApiKey(section.base_url ?? DEFAULT_BASE_URL, env, section.api_key);
}

/** The problem of an online run without an API key: the three ways to give one, and offline. */
export function missingApiKey(section: WandbSection): ConfigProblem {
  return {
    path: 'wandb.api_key',
    message:
      `W&B online mode needs an API key for ${section.base_url ?? wandbClient().DEFAULT_BASE_URL}: ` +
      'set WANDB_API_KEY, set wandb.api_key in the configuration, or run `wandb login` ' +
      "(it saves the key in ~/.netrc); or use mode 'offline' and `wandb sync` later",
  };
}

/**
 * The run on W&B: the section's id, name and project, else the run's. With `all_ranks`, each rank
 * is a run of its own (an id derived from the run id and the rank) in a group named after the run.
 */
export function runInfo(section: WandbSection, identity: RunIdentity): WandbRunInfo {
  const id = section.id ?? identity.id;
  const name = section.name ?? identity.name;
  const perRank = section.all_ranks && identity.worldSize > 1;
  return {
    id: perRank && identity.rank > 0 ? rankRunId(id, identity.rank) : id,
    project: section.project ?? identity.project,
    entity: section.entity,
    displayName: perRank ? `${name}-rank${identity.rank}` : name,
    notes: section.notes,
    tags: section.tags ?? [],
    group: section.group ?? (perRank ? id : undefined),
    jobType: section.job_type,
    host: hostname(),
    startTimeMs: Date.now(),
  };
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A W&B run id for `rank`, the same on every restart of the job. */
function rankRunId(id: string, rank: number): string {
  const digest = createHash('sha256').update(`${id}:${rank}`).digest();
  let out = '';
  for (let i = 0; i < 8; i++) out += ID_ALPHABET[digest[i]! % ID_ALPHABET.length];
  return out;
}
