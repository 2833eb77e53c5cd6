/**
 * The compiled package in real processes: a training process SIGKILLed mid-run, one that calls
 * process.exit() without finish(), and the demo, whose run the `tensorboard` server shows in
 * headless Chromium (the screenshot is saved as test-output/tensorboard-scalars.png).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../scripts/test-env.mjs';
import { distCli, distIndex, ensureBuilt } from './built.js';
import { accumulate, poll, readKilledRun, startTensorBoard } from './readers.js';

const scratch = mkdtempSync(join(tmpdir(), 'tb-processes-'));
const child = (name: string) => join(import.meta.dirname, 'children', name);

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a training process killed with SIGKILL', () => {
  it('leaves a file TensorBoard reads up to the last flush, with no CRC error', async () => {
    const logDir = join(scratch, 'killed');
    const proc = spawn(process.execPath, [child('log-until-killed.mjs'), distIndex, logDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const flushedSteps = () => [...stdout.matchAll(/flushed (\d+)/g)].map((m) => Number(m[1]));
    const state = await poll(
      async () =>
        proc.exitCode !== null
          ? 'exited'
          : Math.max(0, ...flushedSteps()) >= 3000
            ? 'logging'
            : undefined,
      'the child to log 3000 rows',
      30_000,
    );
    expect(state, stderr).toBe('logging');
    // Somewhere in the middle of what follows: a row, an image, a timed or explicit flush.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    expect(await exited).toBeNull();
    const lastFlushed = Math.max(...flushedSteps());

    // At most the record being written when the process died is incomplete.
    const seen = await readKilledRun(join(logDir, 'killed'));
    const steps = seen.scalars.loss!.map(([step]) => step);
    const last = steps.length - 1;
    expect(last).toBeGreaterThanOrEqual(lastFlushed);
    expect(seen.scalars.loss).toEqual(
      steps.map((_, i) => [i, Math.fround(1 / (i + 1)), expect.any(Number)]),
    );
    expect(seen.scalars.step_copy!.map(([step, value]) => [step, value])).toEqual(
      steps.map((_, i) => [i, i]),
    );
    const imageSteps = seen.images.noise!.map((image) => image.step);
    expect(imageSteps.filter((step) => step <= lastFlushed)).toEqual(
      Array.from({ length: Math.floor(lastFlushed / 25) + 1 }, (_, i) => i * 25),
    );
  }, 60_000);
});

describe('a training process that calls process.exit() without finish()', () => {
  it('still writes every row it logged', async () => {
    const logDir = join(scratch, 'exited');
    const result = spawnSync(
      process.execPath,
      [child('exit-without-finish.mjs'), distIndex, logDir],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    const seen = await accumulate(join(logDir, 'exited'));
    expect(seen.scalars.loss!.map(([step, value]) => [step, value])).toEqual(
      Array.from({ length: 100 }, (_, step) => [step, Math.fround(step / 100)]),
    );
  });
});

describe('the demo in TensorBoard', () => {
  const screenshot = join(repoRoot, 'test-output', 'tensorboard-scalars.png');

  it("is served and drawn on TensorBoard's scalars page (screenshot saved)", async () => {
    const cwd = join(scratch, 'demo');
    mkdirSync(cwd);
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')),
    );
    const demo = spawnSync(process.execPath, [distCli, 'demo'], { cwd, env, encoding: 'utf8' });
    expect(demo.status, demo.stderr).toBe(0);
    const logDir = join(cwd, 'logs', 'tensorboard');
    expect(readdirSync(logDir)).toEqual(['demo']);

    const server = await startTensorBoard(logDir);
    try {
      const tags = await poll(async () => {
        const all = await server.get<Record<string, Record<string, unknown>>>(
          '/data/plugin/scalars/tags',
        );
        return all.demo?.['train/loss'] ? Object.keys(all.demo) : undefined;
      }, 'the demo run');
      for (const tag of tags) {
        const points = await server.get<[number, number, number][]>(
          `/data/plugin/scalars/scalars?run=demo&tag=${encodeURIComponent(tag)}`,
        );
        const steps = points.map(([, step]) => step);
        expect(steps.length, tag).toBeGreaterThan(1);
        expect(steps, tag).toEqual([...steps].sort((a, b) => a - b));
      }

      mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
      rmSync(screenshot, { force: true });
      const chromium = spawnSync(
        '/usr/bin/chromium',
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${join(scratch, 'chromium')}`,
          '--window-size=1400,1000',
          '--virtual-time-budget=15000',
          `--screenshot=${screenshot}`,
          `${server.url}/#scalars`,
        ],
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(chromium.status, chromium.stderr).toBe(0);
    } finally {
      await server.stop();
    }

    expect(statSync(screenshot).size).toBeGreaterThan(20_000);
    const png = PNG.sync.read(readFileSync(screenshot));
    expect([png.width, png.height]).toEqual([1400, 1000]);
    const colors = new Set<number>();
    let curve = 0;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const i = (y * png.width + x) * 4;
        const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
        colors.add((r << 16) | (g << 8) | b);
        // The run's orange-red lines, in the chart panel (right of the sidebar, below the bar).
        if (x > 360 && y > 150 && r > 200 && g > 60 && g < 170 && b < 140 && r - b > 100) curve++;
      }
    }
    expect(colors.size).toBeGreaterThan(200);
    expect(curve).toBeGreaterThan(300);
  }, 180_000);
});
