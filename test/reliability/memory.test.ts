/**
 * Memory while a backend cannot keep up, in a real training process logging a million rows
 * (sampled every 100 ms): W&B online with its server unreachable keeps the rows on disk, not in
 * memory; TensorBoard with its disk full drops what it cannot write instead of keeping it. Each
 * bound is generous, and well under what keeping the rows in memory would take. (OTLP:
 * test/reliability/otlp-receiver.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIndex, ensureBuilt } from '../exporters/tensorboard/built.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { runNode } from '../support/child.js';
import { freePort } from '../support/processes.js';
import { cannotMount, type Mount, tmpfs } from './mounts.js';

const script = join(import.meta.dirname, 'children', 'log-rows.mjs');
const ROWS = 1_000_000;
const MiB = 1024 * 1024;
const mounts: Mount[] = [];

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => {
  for (const mount of mounts.splice(0)) mount.unmount();
});

async function logMillion(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const result = await runNode(
    [script, distIndex, JSON.stringify(config), String(ROWS), 'finish'],
    {
      env,
      timeoutMs: 180_000,
    },
  );
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain(`at ${ROWS - 1}`);
  const samples = [...result.stdout.matchAll(/^memory (\d+) (\d+) (\d+)$/gm)].map((m) =>
    m.slice(1).map(Number),
  );
  expect(samples.length).toBeGreaterThan(10);
  return {
    result,
    maxHeap: Math.max(...samples.map(([heap]) => heap!)),
    maxBuffers: Math.max(...samples.map(([, , buffers]) => buffers!)),
  };
}

describe('W&B online with its server unreachable', () => {
  it('keeps a million rows on disk for later, not in memory', async () => {
    const dir = tempDir('wandb-unreachable');
    const { maxHeap } = await logMillion(
      {
        backends: ['wandb'],
        handle_signals: false,
        wandb: {
          mode: 'online',
          dir,
          project: 'memory',
          base_url: `http://127.0.0.1:${await freePort()}`,
          finish_timeout: 2,
        },
      },
      { WANDB_API_KEY: 'f'.repeat(40) },
    );
    // A million history lines held as strings would take some 300 MiB.
    expect(maxHeap).toBeLessThan(200 * MiB);
    const [run] = readdirSync(join(dir, 'wandb'));
    const spool = readFileSync(join(dir, 'wandb', run!, 'spool', 'wandb-history.jsonl'), 'utf8');
    expect(spool.split('\n').filter(Boolean)).toHaveLength(ROWS);
  }, 200_000);
});

describe.skipIf(cannotMount)(
  `TensorBoard with its disk full (${cannotMount ?? '1 MiB tmpfs'})`,
  () => {
    it('drops what it cannot write instead of keeping it', async () => {
      const disk = tmpfs('tb-full-memory', 1024);
      mounts.push(disk);
      const { result, maxBuffers } = await logMillion({
        backends: ['tensorboard'],
        handle_signals: false,
        tensorboard: { log_dir: disk.dir, flush_secs: 1 },
      });
      const dropped = Number(/(\d+) bytes of events are missing/.exec(result.stderr)?.[1]);
      expect(dropped).toBeGreaterThan(64 * MiB);
      // The writer's buffer (at most 8 MiB between flushes, in a doubling array) and the images.
      expect(maxBuffers).toBeLessThan(dropped / 2);
      expect(maxBuffers).toBeLessThan(40 * MiB);
    }, 200_000);
  },
);
