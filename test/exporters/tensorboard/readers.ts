/**
 * TensorBoard's own readers, run from the test venv: the event accumulator, the CRC-checking
 * record reader, and the `tensorboard` server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { venvBin } from '../../../scripts/test-env.mjs';
import { runPythonJson } from '../../support/python.js';

const script = (name: string) => readFileSync(join(import.meta.dirname, 'python', name), 'utf8');

/** A number, or its spelling when JSON has none (`'nan'`, `'inf'`, `'-inf'`). */
export type PyNumber = number | string;

export interface AccumulatedRun {
  file_version: number;
  /** tag -> [step, value, wall_time][] */
  scalars: Record<string, [number, PyNumber, number][]>;
  histograms: Record<
    string,
    {
      step: number;
      wall_time: number;
      min: PyNumber;
      max: PyNumber;
      num: number;
      sum: PyNumber;
      sum_squares: PyNumber;
      bucket_limit: PyNumber[];
      bucket: number[];
    }[]
  >;
  images: Record<
    string,
    { step: number; width: number; height: number; mode: string; pixels: number[] }[]
  >;
  texts: Record<string, { step: number; text: string }[]>;
  /** Every tensor tag (text and hparams). */
  tensors: string[];
  hparams: {
    start?: { hparams: Record<string, unknown>; group_name: string; start_time_secs: number };
    end?: { status: number; end_time_secs: number };
  };
}

/** What TensorBoard's EventAccumulator keeps of a run directory or event file (everything). */
export function accumulate(path: string): Promise<AccumulatedRun> {
  return runPythonJson<AccumulatedRun>(script('accumulate.py'), [path]);
}

export interface RecordsRead {
  path: string;
  records: number;
  last_step: number | null;
  /** TensorBoard's DataLossError message, or null when the file read to its end. */
  error: string | null;
}

/** Reads event files with TensorBoard's CRC-checking record reader. */
export function readRecords(paths: readonly string[]): Promise<RecordsRead[]> {
  return runPythonJson<RecordsRead[]>(script('records.py'), paths);
}

/**
 * The run a killed process wrote to `runDir`, read by TensorBoard: one event file, whose only
 * damage may be the record being written when the process died (truncated, never a bad CRC).
 */
export async function readKilledRun(runDir: string): Promise<AccumulatedRun> {
  const files = readdirSync(runDir).map((name) => join(runDir, name));
  expect(files).toHaveLength(1);
  const [read] = await readRecords(files);
  if (read!.error !== null) expect(read!.error).toMatch(/truncated record/);
  expect(read!.error ?? '').not.toMatch(/crc/);
  return accumulate(runDir);
}

export interface TensorBoardServer {
  readonly url: string;
  /** GETs `path` (e.g. `/data/runs`) and parses the JSON. */
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts `tensorboard --logdir <logdir>` on 127.0.0.1 and a free port, and resolves once it
 * answers; the caller polls for the data, which loads in the background.
 */
export async function startTensorBoard(logdir: string): Promise<TensorBoardServer> {
  const child = spawn(
    venvBin('tensorboard'),
    [
      '--logdir',
      logdir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--load_fast=false',
      '--reload_interval',
      '1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => fail(new Error('no banner within 60 s')), 60_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`tensorboard did not start: ${error.message}\n${stderr}`));
    };
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`exited with ${code}`)));
  });
  child.stderr!.resume();
  const request = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}${path}`, init);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    url,
    get: (path) => request(path),
    post: (path, body) =>
      request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    stop: () => stopProcess(child),
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Calls `probe` every 250 ms until it returns a value other than undefined, or times out. */
export async function poll<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
