/**
 * Who a run is: an id shared by all ranks of one training job, a name, a project, and this
 * process's place among the ranks.
 */
import { createHash, randomInt } from 'node:crypto';
import type { Environment } from '../environment.js';

export interface RunIdentity {
  /** 8 characters of [a-z0-9], as W&B makes them; the same on every rank. */
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly rank: number;
  readonly localRank: number;
  readonly worldSize: number;
}

export interface RunIdentityOptions {
  readonly id?: string;
  readonly name?: string;
  readonly project?: string;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const RUN_ID_PATTERN = /^[a-z0-9]{8}$/;
export const DEFAULT_PROJECT = 'jepa';

/**
 * The identity from explicit options, then the environment: `JEPA_RUN_ID` / `WANDB_RUN_ID`, a
 * launcher's job id (torchrun, SLURM) so that every rank derives the same id without talking to
 * the others, else a fresh random id. Ranks come from `RANK` / `LOCAL_RANK` / `WORLD_SIZE` (or
 * SLURM's `SLURM_PROCID` / `SLURM_LOCALID` / `SLURM_NTASKS`).
 */
export function resolveRunIdentity(
  options: RunIdentityOptions = {},
  env: Environment = process.env,
): RunIdentity {
  const id = options.id ?? env.JEPA_RUN_ID ?? env.WANDB_RUN_ID ?? launcherRunId(env) ?? newRunId();
  if (!RUN_ID_PATTERN.test(id)) {
    throw new Error(`run id '${id}' must be 8 characters of [a-z0-9] (as W&B run ids are)`);
  }
  return {
    id,
    name: options.name ?? env.JEPA_RUN_NAME ?? env.WANDB_NAME ?? `run-${id}`,
    project: options.project ?? env.JEPA_PROJECT ?? env.WANDB_PROJECT ?? DEFAULT_PROJECT,
    rank: rankFrom(env, ['RANK', 'SLURM_PROCID'], 0),
    localRank: rankFrom(env, ['LOCAL_RANK', 'SLURM_LOCALID'], 0),
    worldSize: rankFrom(env, ['WORLD_SIZE', 'SLURM_NTASKS'], 1),
  };
}

export function newRunId(): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

function launcherRunId(env: Environment): string | undefined {
  const jobId = env.TORCHELASTIC_RUN_ID ?? env.SLURM_JOB_ID;
  if (!jobId) return undefined;
  const digest = createHash('sha256').update(jobId).digest();
  let id = '';
  for (let i = 0; i < 8; i++) id += ID_ALPHABET[digest[i]! % ID_ALPHABET.length];
  return id;
}

function rankFrom(env: Environment, names: readonly string[], fallback: number): number {
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`environment variable ${name}='${raw}' must be a non-negative integer`);
    }
    return value;
  }
  return fallback;
}
