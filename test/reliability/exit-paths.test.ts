/**
 * TensorBoard and W&B when the training process ends abnormally, mid-run, with rows still in
 * memory: SIGINT, SIGTERM, an uncaught exception and an unhandled rejection lose nothing (every
 * row logged is in the TensorBoard file and the W&B run, read back by TensorBoard's and wandb's
 * own readers, and W&B records the exit code); SIGKILL loses at most the last flush interval and
 * leaves a `.wandb` file the real `wandb sync` uploads without error. (The console and OTLP on these paths:
 * test/telemetry/lifecycle.test.ts; TensorBoard on SIGKILL: test/exporters/tensorboard/processes.test.ts.)
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIndex, ensureBuilt } from '../exporters/tensorboard/built.js';
import { accumulate, readRecords } from '../exporters/tensorboard/readers.js';
import {
  type ReadRecord,
  readWandbFile,
  TEST_API_KEY,
  wandbSync,
} from '../exporters/wandb/wandb-python.js';
import { eventually, startProcess } from '../support/processes.js';
import { FakeWandbServer } from '../support/wandb-server.js';

const script = join(import.meta.dirname, 'children', 'log-rows.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'exit-paths-'));
let runs = 0;

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The training child, its stdout lines timed as they arrive. */
function startChild(config: Record<string, unknown>, rows: number, ending: string, env = {}) {
  const child = startProcess(
    'training',
    process.execPath,
    [script, distIndex, JSON.stringify(config), String(rows), ending],
    { env },
  );
  const lines: { text: string; at: number }[] = [];
  let partial = '';
  child.child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const complete = text.split('\n');
    partial = complete.pop()!;
    const at = Date.now();
    for (const line of complete) lines.push({ text: line, at });
  });
  const last = (word: string) => {
    const found = lines.filter((l) => l.text.startsWith(`${word} `)).at(-1);
    return found ? Number(found.text.split(' ')[1]) : undefined;
  };
  return { child, lines, last };
}

function config(dir: string, extra: Record<string, unknown> = {}) {
  return {
    backends: ['tensorboard', 'wandb'],
    run_name: 'interrupted',
    handle_signals: true,
    tensorboard: { log_dir: dir },
    wandb: { mode: 'offline', dir },
    ...extra,
  };
}

/** The one W&B run directory. */
function wandbRunDir(dir: string): string {
  const [run] = readdirSync(join(dir, 'wandb')).filter((name) => /^(offline-)?run-/.test(name));
  return join(dir, 'wandb', run!);
}

/**
 * The run's `.wandb` file, read by wandb's protobufs; `tornTail` for a process killed in the
 * middle of a write.
 */
async function wandbRecords(dir: string, tornTail = false): Promise<ReadRecord['record'][]> {
  const runDir = wandbRunDir(dir);
  const file = readdirSync(runDir).find((name) => name.endsWith('.wandb'))!;
  return (await readWandbFile(join(runDir, file), { tornTail })).map((r) => r.record);
}

function historySteps(records: ReadRecord['record'][]): number[] {
  return records.filter((r) => r.history).map((r) => Number(r.history.step?.num ?? 0));
}

describe.each([
  ['SIGINT', 'signal', 130],
  ['SIGTERM', 'signal', 143],
  ['an uncaught exception', 'throw', 1],
  ['an unhandled rejection', 'reject', 1],
] as const)('%s mid-run', (what, ending, exitCode) => {
  it('TensorBoard and W&B offline keep every row logged; W&B records the exit code', async () => {
    const dir = join(scratch, `run-${runs++}`);
    const training = startChild(config(dir), 2500, ending);
    if (ending === 'signal') {
      await eventually('2,000 rows logged', () =>
        (training.last('at') ?? 0) >= 2000 ? true : undefined,
      );
      training.child.child.kill(what as NodeJS.Signals);
    }
    const code = await training.child.exited;
    const last = training.last(
      ending === 'signal' ? 'stopped' : ending === 'throw' ? 'throwing' : 'rejecting',
    );
    expect(last, training.child.output()).toBeGreaterThan(1000);
    if (ending === 'throw') {
      expect(training.child.output()).toMatch(/Uncaught exception: Error: boom in training/);
      expect(code).toBe(1);
    }
    if (ending === 'reject') {
      expect(training.child.output()).toMatch(
        /Unhandled promise rejection: Error: rejected in training/,
      );
      expect(code).toBe(1);
    }

    const runDir = join(dir, 'interrupted');
    const [file] = readdirSync(runDir);
    const [read] = await readRecords([join(runDir, file!)]);
    expect(read!.error).toBeNull();
    const seen = await accumulate(runDir);
    expect(seen.scalars.twice!.map(([step, value]) => [step, value])).toEqual(
      Array.from({ length: last! + 1 }, (_, step) => [step, 2 * step]),
    );
    expect(seen.images.sample!.map((image) => image.step)).toEqual(
      Array.from({ length: Math.floor(last! / 100) + 1 }, (_, i) => i * 100),
    );

    const records = await wandbRecords(dir);
    expect(historySteps(records)).toEqual([...Array(last! + 1).keys()]);
    expect(records.find((r) => r.exit)?.exit).toMatchObject({ exit_code: exitCode });
  }, 60_000);
});

describe('SIGINT mid-run, W&B online', () => {
  it('every row reaches the server and the run completes with exit code 130', async () => {
    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      const dir = join(scratch, `run-${runs++}`);
      const training = startChild(
        {
          backends: ['wandb'],
          handle_signals: true,
          flush_timeout: 30,
          wandb: { mode: 'online', dir, base_url: server.url, project: 'p', stream_interval: 0.2 },
        },
        0,
        'signal',
        { WANDB_API_KEY: TEST_API_KEY },
      );
      await eventually('1,000 rows logged', () =>
        (training.last('at') ?? 0) >= 1000 ? true : undefined,
      );
      training.child.child.kill('SIGINT');
      await training.child.exited;
      const last = training.last('stopped')!;
      const run = server.onlyRun();
      expect(run).toMatchObject({ complete: true, exitcode: 130 });
      expect(FakeWandbServer.rows(run).map((row) => row._step)).toEqual([
        ...Array(last + 1).keys(),
      ]);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('SIGKILL mid-run, W&B offline', () => {
  it('leaves a .wandb file `wandb sync` uploads without error, holding every row up to the last flush', async () => {
    const dir = join(scratch, `run-${runs++}`);
    const training = startChild(
      { backends: ['wandb'], wandb: { mode: 'offline', dir } },
      0,
      'forever',
    );
    await eventually('3,000 rows logged', () =>
      (training.last('at') ?? 0) >= 3000 ? true : undefined,
    );
    // Somewhere in the middle of a turn, a flush or a write.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
    training.child.child.kill('SIGKILL');
    expect(await training.child.exited).toBeNull();
    const killedAt = Date.now();
    const flushed = training.last('flushed')!;
    // The rows logged a second or more before the kill: the automatic flushes had them.
    const settled = training.lines
      .filter((l) => l.text.startsWith('at ') && l.at <= killedAt - 1000)
      .at(-1);

    // The kill can cut the last write short (Linux stops a write between pages for SIGKILL): the
    // file may end inside a record, which wandb, like LevelDB's log reader, takes as its end.
    const records = await wandbRecords(dir, true);
    expect(records[0]!.header).toBeDefined();
    expect(records[1]!.run).toBeDefined();
    const steps = historySteps(records);
    expect(steps).toEqual([...Array(steps.length).keys()]);
    // The row of the latest step stays open until the step moves on (W&B merges the writes of a
    // step into one row): a flush writes the rows before it.
    expect(steps.length - 1).toBeGreaterThanOrEqual(flushed - 1);
    if (settled) {
      expect(steps.length - 1).toBeGreaterThanOrEqual(Number(settled.text.split(' ')[1]) - 1);
    }
    expect(steps.length - 1).toBeLessThanOrEqual(training.last('at')! + 10);

    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      await wandbSync([wandbRunDir(dir)], server.url);
      expect(FakeWandbServer.rows(server.onlyRun()).map((row) => row._step)).toEqual(steps);
    } finally {
      await server.close();
    }
  }, 90_000);
});
