/**
 * The real `wandb` package from the test venv: reading `.wandb` files with its protobufs, and
 * `wandb sync` against a local server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { venvBin } from '../../../scripts/test-env.mjs';
import { runPythonJson } from '../../support/python.js';

const reader = readFileSync(new URL('../../fixtures/wandb/read_wandb.py', import.meta.url), 'utf8');

/** A record as the `wandb` package's `MessageToDict` prints it (proto field names, int64 as strings). */
// biome-ignore lint/suspicious/noExplicitAny: free-form JSON from Python, checked by the assertions
export type RecordDict = any;

export interface ReadRecord {
  /** Payload size in bytes. */
  readonly bytes: number;
  readonly record: RecordDict;
}

/**
 * The records of a `.wandb` file, decoded by the `wandb` package's own `Record` message. A file
 * that ends inside a record is an error, unless `tornTail` (a writer killed mid-write): then the
 * records before it, as `wandb sync` reads such a file.
 */
export function readWandbFile(
  path: string,
  options: { tornTail?: boolean } = {},
): Promise<ReadRecord[]> {
  return runPythonJson<ReadRecord[]>(reader, options.tornTail ? [path, '--torn-tail'] : [path]);
}

/** A 40-hex-digit key, the shape of a real W&B API key. */
export const TEST_API_KEY = 'f3a9c1e07b2d4c6e8a0b1c2d3e4f5a6b7c8d9e0f';

export interface SyncResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `wandb sync <paths>` against `baseUrl` with a throwaway HOME and W&B config and cache
 * directories, silent, so nothing on this machine is read or changed.
 */
export async function wandbSync(
  paths: readonly string[],
  baseUrl: string,
  apiKey: string = TEST_API_KEY,
  args: readonly string[] = [],
): Promise<SyncResult> {
  const home = mkdtempSync(join(tmpdir(), 'wandb-home-'));
  try {
    return await promisify(execFile)(venvBin('wandb'), ['sync', ...args, ...paths], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        TMPDIR: home,
        WANDB_CONFIG_DIR: join(home, 'config'),
        WANDB_CACHE_DIR: join(home, 'cache'),
        WANDB_DATA_DIR: join(home, 'data'),
        WANDB_SILENT: 'true',
        WANDB_BASE_URL: baseUrl,
        WANDB_API_KEY: apiKey,
      },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
