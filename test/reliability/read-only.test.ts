/**
 * A read-only `log_dir` (and W&B `dir`): a read-only tmpfs, since root ignores file permissions.
 * Each backend that cannot write says so once, naming the directory and the reason; nothing is
 * thrown into training, which goes on and finishes, and the other backends get every row.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIndex, ensureBuilt } from '../exporters/tensorboard/built.js';
import { runNode } from '../support/child.js';
import { cannotMount, type Mount, tmpfs } from './mounts.js';

const script = join(import.meta.dirname, 'children', 'log-rows.mjs');
const ROWS = 300;
const mounts: Mount[] = [];

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => {
  for (const mount of mounts.splice(0)) mount.unmount();
});

describe.skipIf(cannotMount)(`a read-only log_dir (${cannotMount ?? 'read-only tmpfs'})`, () => {
  it('TensorBoard and W&B report it once each; training finishes; the console gets every row', async () => {
    const readOnly = tmpfs('read-only', 64, true);
    mounts.push(readOnly);
    const config = {
      backends: ['console', 'tensorboard', 'wandb'],
      run_name: 'ro',
      handle_signals: false,
      console: { stream: 'stdout', colored: false, format: '%(message)s' },
      tensorboard: { log_dir: join(readOnly.dir, 'tb') },
      wandb: { mode: 'offline', dir: readOnly.dir },
    };
    const result = await runNode([
      script,
      distIndex,
      JSON.stringify(config),
      String(ROWS),
      'finish',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('finished');
    const rows = [...result.stdout.matchAll(/^step (\d+) \| loss /gm)].map((m) => Number(m[1]));
    expect(rows).toEqual([...Array(ROWS).keys()]);

    const errors = result.stderr.split('\n').filter((line) => / (ERROR|WARNING): /.test(line));
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `ERROR: TensorBoard: cannot create ${readOnly.dir}/tb/ro/events\\.out\\.tfevents\\.\\S+: EROFS: read-only file system.*; this run writes no events`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `ERROR: W&B: cannot create the run directory under ${readOnly.dir}: EROFS: read-only file system.*; this run is not written to W&B`,
        ),
      ),
    ]);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(readOnly.dir)).toEqual([]);
  });
});
