/**
 * Two training processes writing the same `log_dir` under the same run name (and the same W&B
 * run id, in the same W&B `dir`): nothing is clobbered. TensorBoard gets one event file per
 * process (the names carry the pid and a counter), each read back whole by TensorBoard's
 * CRC-checking reader; W&B gets one run directory per process, each read back whole by wandb's
 * protobufs, even when both start in the same second.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunWriter } from '../../src/wandb/run-writer.js';
import { distIndex, ensureBuilt } from '../exporters/tensorboard/built.js';
import { accumulate, readRecords } from '../exporters/tensorboard/readers.js';
import { readWandbFile } from '../exporters/wandb/wandb-python.js';
import { runNode } from '../support/child.js';

const script = join(import.meta.dirname, 'children', 'log-rows.mjs');
const ROWS = 3000;
const scratch = mkdtempSync(join(tmpdir(), 'shared-log-dir-'));

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('two processes, one log_dir, one run name', () => {
  it('each keeps its own TensorBoard file and W&B run, every row readable', async () => {
    const logDir = join(scratch, 'logs');
    const config = JSON.stringify({
      backends: ['tensorboard', 'wandb'],
      run_name: 'shared',
      run_id: 'sharedid',
      handle_signals: false,
      tensorboard: { log_dir: logDir },
      wandb: { mode: 'offline', dir: logDir },
    });
    const results = await Promise.all(
      [0, 1].map(() => runNode([script, distIndex, config, String(ROWS), 'finish'])),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);

    const runDir = join(logDir, 'shared');
    const files = readdirSync(runDir).sort();
    expect(files).toHaveLength(2);
    for (const file of files)
      expect(file).toMatch(/^events\.out\.tfevents\.\d{10}\.[^.]+\.\d+\.\d+$/);
    const pids = files.map((file) => file.split('.').at(-2));
    expect(new Set(pids).size).toBe(2);
    const read = await readRecords(files.map((file) => join(runDir, file)));
    for (const file of read) {
      expect(file.error).toBeNull();
      expect(file.last_step).toBe(ROWS - 1);
    }
    for (const file of files) {
      const seen = await accumulate(join(runDir, file));
      expect(seen.scalars.twice!.map(([step, value]) => [step, value])).toEqual(
        Array.from({ length: ROWS }, (_, step) => [step, 2 * step]),
      );
    }

    const runs = readdirSync(join(logDir, 'wandb')).filter((name) =>
      name.startsWith('offline-run-'),
    );
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run).toMatch(/^offline-run-\d{8}_\d{6}-sharedid$/);
      const records = await readWandbFile(join(logDir, 'wandb', run, 'run-sharedid.wandb'));
      const steps = records
        .filter((r) => r.record.history)
        .map((r) => Number(r.record.history.step?.num ?? 0));
      expect(steps).toEqual([...Array(ROWS).keys()]);
      expect(records.some((r) => r.record.exit)).toBe(true);
    }
  }, 120_000);

  it('W&B run directories of one run id started in the same second are distinct', () => {
    const root = join(scratch, 'same-second');
    const startTimeMs = Date.UTC(2026, 0, 2, 3, 4, 5);
    const writers = [0, 1, 2].map(
      () => new RunWriter({ root, runId: 'sameid01', startTimeMs, offline: true }),
    );
    for (const writer of writers) writer.close();
    expect(new Set(writers.map((w) => w.dir)).size).toBe(3);
    expect(readdirSync(join(root, 'wandb')).sort()).toEqual(
      writers.map((w) => w.dir.split('/').at(-1)).sort(),
    );
  });
});
