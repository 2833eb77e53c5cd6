/**
 * A full disk under the TensorBoard and W&B directories: each on a 1 MiB tmpfs, a training
 * process logs far more than fits. Writes fail with ENOSPC; each writer reports it once; training
 * goes on and finishes normally; the files stay readable by TensorBoard's CRC-checking reader and
 * by wandb's own protobufs, holding the rows that fit, from the first one on, with their values.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIndex, ensureBuilt } from '../exporters/tensorboard/built.js';
import { accumulate, readRecords } from '../exporters/tensorboard/readers.js';
import { readWandbFile, TEST_API_KEY } from '../exporters/wandb/wandb-python.js';
import { runNode } from '../support/child.js';
import { FakeWandbServer } from '../support/wandb-server.js';
import { cannotMount, type Mount, tmpfs } from './mounts.js';

const script = join(import.meta.dirname, 'children', 'log-rows.mjs');
const ROWS = 40_000;
const MiB = 1024 * 1024;
const mounts: Mount[] = [];

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => {
  for (const mount of mounts.splice(0)) mount.unmount();
});

function disk(prefix: string): string {
  const mount = tmpfs(prefix, 1024);
  mounts.push(mount);
  return mount.dir;
}

function only(dir: string, pattern: RegExp): string {
  const matches = readdirSync(dir).filter((name) => pattern.test(name));
  expect(matches, dir).toHaveLength(1);
  return join(dir, matches[0]!);
}

function logRows(config: Record<string, unknown>) {
  return runNode([script, distIndex, JSON.stringify(config), String(ROWS), 'finish'], {
    timeoutMs: 120_000,
  });
}

describe.skipIf(cannotMount)(`a full disk (${cannotMount ?? 'tmpfs of 1 MiB'})`, () => {
  it('TensorBoard and W&B offline: reported once each, training finishes, the files read back up to what fitted', async () => {
    const tbDisk = disk('tb-full');
    const wandbDisk = disk('wandb-full');
    const result = await logRows({
      backends: ['tensorboard', 'wandb'],
      run_name: 'full',
      run_id: 'diskfull',
      handle_signals: false,
      tensorboard: { log_dir: tbDisk, flush_secs: 0.2 },
      wandb: { mode: 'offline', dir: wandbDisk },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('finished');
    expect(result.stdout).toContain(`at ${ROWS - 1}`);
    const errors = result.stderr.split('\n').filter((line) => line.includes(' ERROR: '));
    expect(errors.filter((l) => /TensorBoard: writing events .* ENOSPC/.test(l))).toHaveLength(1);
    expect(errors.filter((l) => /W&B: writing .*\.wandb failed: ENOSPC/.test(l))).toHaveLength(1);
    expect(errors).toHaveLength(2);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr.match(/image 'sample' was not saved/g)?.length ?? 0).toBeLessThanOrEqual(
      1,
    );

    const runDir = join(tbDisk, 'full');
    const eventFile = only(runDir, /tfevents/);
    // What fits is kept: the file fills the disk, less than a flush's worth short.
    expect(statSync(eventFile).size).toBeGreaterThan(0.8 * MiB);
    const [read] = await readRecords([eventFile]);
    expect(read!.error).toBeNull();
    const seen = await accumulate(runDir);
    const loss = seen.scalars.loss!;
    expect(loss.length).toBeGreaterThan(1000);
    expect(loss.length).toBeLessThan(ROWS);
    expect(loss.map(([step, value]) => [step, value])).toEqual(
      loss.map((_, step) => [step, Math.fround(1 / (step + 1))]),
    );

    const wandbRun = only(join(wandbDisk, 'wandb'), /^offline-run-/);
    const records = await readWandbFile(only(wandbRun, /\.wandb$/));
    expect(records[0]!.record.header).toBeDefined();
    expect(records[1]!.record.run).toMatchObject({ run_id: 'diskfull' });
    const history = records.filter((r) => r.record.history).map((r) => r.record.history);
    expect(history.length).toBeGreaterThan(1000);
    expect(history.length).toBeLessThan(ROWS);
    history.forEach((row, step) => {
      const items = Object.fromEntries(
        row.item.map((item: { key: string; value_json: string }) => [item.key, item.value_json]),
      );
      expect(Number(items._step)).toBe(step);
      expect(Number(items.twice)).toBe(2 * step);
    });
  }, 150_000);

  it('W&B online: the spool failing is reported once, the run still completes on the server with contiguous rows', async () => {
    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      const wandbDisk = disk('wandb-online-full');
      const result = await runNode(
        [
          script,
          distIndex,
          JSON.stringify({
            backends: ['wandb'],
            run_id: 'onlinefl',
            handle_signals: false,
            wandb: {
              mode: 'online',
              dir: wandbDisk,
              project: 'disk',
              entity: 'team',
              base_url: server.url,
              stream_interval: 0.2,
              finish_timeout: 60,
            },
          }),
          String(ROWS),
          'finish',
        ],
        { env: { WANDB_API_KEY: TEST_API_KEY }, timeoutMs: 120_000 },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('finished');
      expect(result.stderr.match(/ERROR: W&B: spooling history rows .* ENOSPC/g)).toHaveLength(1);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      const run = server.onlyRun();
      expect(run.complete, result.stderr).toBe(true);
      expect(run.gaps).toEqual([]);
      const rows = FakeWandbServer.rows(run);
      expect(rows.length).toBeGreaterThan(100);
      expect(rows.length).toBeLessThan(ROWS);
      // What the spool kept went out in order with the values logged: the rows before the disk
      // filled, and possibly the last row, which finish() sends straight from memory.
      const steps = rows.map((row) => row._step as number);
      const prefix = steps.findIndex((step, i) => step !== i);
      expect(prefix === -1 || prefix >= rows.length - 1).toBe(true);
      for (const row of rows) expect(row.loss).toBe(1 / ((row._step as number) + 1));
    } finally {
      await server.close();
    }
  }, 150_000);
});
