/**
 * SIGKILL of a process logging through AsyncLogger, its backends in the worker, from a loop that
 * never yields: the TensorBoard file stays readable (at most a truncated last record, never a
 * CRC error) and holds every row up to one `flush_interval` before the kill. And
 * `process.exit()` without `finish()`: the worker writes every row synchronously while the
 * calling thread waits in its exit hook.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIndex, ensureBuilt } from '../exporters/tensorboard/built.js';
import { accumulate, readKilledRun } from '../exporters/tensorboard/readers.js';
import { eventually, startProcess } from '../support/processes.js';

const script = join(import.meta.dirname, 'children', 'async-rows.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'async-kill-'));

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('SIGKILL mid-run through AsyncLogger', () => {
  it('leaves a TensorBoard file that reads without error, missing at most one flush_interval of rows', async () => {
    const flushInterval = 1;
    const config = {
      backends: ['tensorboard'],
      run_name: 'killed',
      // TensorBoard's own timer would flush every 2 minutes: only the AsyncLogger's flushes count.
      tensorboard: { log_dir: scratch, flush_secs: 120 },
      buffer_size: 1000,
      flush_interval: flushInterval,
    };
    const training = startProcess('training', process.execPath, [
      script,
      distIndex,
      JSON.stringify(config),
    ]);
    const lines: { step: number; at: number }[] = [];
    training.child.stdout?.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/^at (\d+) (\d+)$/gm)) {
        lines.push({ step: Number(match[1]), at: Number(match[2]) });
      }
    });
    await eventually('3,000 rows logged', () =>
      (lines.at(-1)?.step ?? 0) >= 3000 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 500));
    const killedAt = Date.now();
    training.child.kill('SIGKILL');
    expect(await training.exited).toBeNull();

    const seen = await readKilledRun(join(scratch, 'killed'));
    const steps = seen.scalars.loss!.map(([step]) => step);
    // An unbroken prefix of the rows, in order.
    expect(steps).toEqual([...steps.keys()]);
    // Every row logged a flush_interval (and a little slack for the write) before the kill is in.
    const settled = lines.filter((l) => l.at <= killedAt - flushInterval * 1000 - 250).at(-1);
    expect(settled).toBeDefined();
    expect(steps.length - 1).toBeGreaterThanOrEqual(settled!.step);
    expect(steps.length - 1).toBeLessThanOrEqual(lines.at(-1)!.step + 50);
  }, 60_000);
});

describe('process.exit() without finish() through AsyncLogger', () => {
  it('has the worker write every row before the process ends', async () => {
    const config = {
      backends: ['tensorboard'],
      run_name: 'exited',
      tensorboard: { log_dir: scratch, flush_secs: 120 },
      flush_interval: 3600,
      // What the exit hook may wait for the worker: room for a loaded machine.
      flush_timeout: 60,
    };
    const training = startProcess('training', process.execPath, [
      script,
      distIndex,
      JSON.stringify(config),
      '5000',
    ]);
    expect(await training.exited).toBe(0);
    const seen = await accumulate(join(scratch, 'exited'));
    expect(seen.scalars.step_copy!.map(([step, value]) => [step, value])).toEqual(
      [...Array(5000).keys()].map((i) => [i, i]),
    );
  }, 60_000);
});
