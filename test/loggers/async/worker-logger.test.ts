/**
 * The calling thread's side of the AsyncLogger worker, against the compiled worker (tests run
 * TypeScript; a worker thread cannot): backpressure instead of loss, a stalled backend bounded
 * by flush_timeout, a worker's death, calls by message in order, the synchronous flush at exit.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import type { BuildSpec } from '../../../src/loggers/async/protocol.js';
import { WorkerLogger } from '../../../src/loggers/async/worker-logger.js';
import { ensureBuilt } from '../../exporters/tensorboard/built.js';
import { accumulate } from '../../exporters/tensorboard/readers.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'custom-backends.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'jepa-worker-'));
const open: WorkerLogger[] = [];

beforeAll(() => ensureBuilt(), 180_000);
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function workerLogger(
  build: BuildSpec,
  options: { bufferSize?: number; flushTimeoutMs?: number; flushIntervalMs?: number } = {},
) {
  const diagnostics = new CollectingDiagnostics();
  const logger = new WorkerLogger({
    build,
    modules: [fixtures],
    bufferSize: options.bufferSize ?? 100,
    flushIntervalMs: options.flushIntervalMs ?? 30_000,
    flushTimeoutMs: options.flushTimeoutMs ?? 10_000,
    onFull: 'block',
    diagnostics,
  });
  open.push(logger);
  return { logger, diagnostics };
}

const fileRows = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[1]));

describe('WorkerLogger', () => {
  it('in a loop that never yields, waits for room instead of dropping: every row arrives, in order', async () => {
    const file = join(scratch, 'never-yields.txt');
    const { logger } = workerLogger({ kind: 'backend', name: 'file', config: { file } });
    for (let i = 0; i < 5000; i++) logger.logMetrics({ i }, i);
    await logger.finish();
    expect(logger.stats).toMatchObject({ delivered: 5000, dropped: 0, lost: 0, buffered: 0 });
    expect(fileRows(file)).toEqual([...Array(5000).keys()]);
  });

  it('keeps calls by message (other values, media) in their place among the rows', async () => {
    const file = join(scratch, 'mixed.txt');
    const { logger } = workerLogger({ kind: 'backend', name: 'file', config: { file } });
    for (let i = 0; i < 300; i++) {
      // Every third row holds a string: it goes by message, its marker keeps its place.
      logger.logMetrics(i % 3 === 0 ? { i, note: 'x' } : { i }, i);
    }
    await logger.flush();
    expect(fileRows(file)).toEqual([...Array(300).keys()]);
  });

  it('finish() returns within flush_timeout from a backend that stalls 2 s a call, and counts what it did not deliver', async () => {
    const { logger } = workerLogger(
      { kind: 'backend', name: 'stalled', config: {} },
      { flushTimeoutMs: 1000 },
    );
    for (let i = 0; i < 10; i++) logger.logMetrics({ i }, i);
    const started = performance.now();
    await logger.finish();
    expect(performance.now() - started).toBeLessThan(2000);
    const { delivered, dropped, lost } = logger.stats;
    expect(delivered + dropped + lost).toBe(10);
    expect(dropped).toBeGreaterThanOrEqual(9);
    expect(logger.undeliveredAtFinish).toBe(dropped);
  });

  it('a full ring behind a stalled backend: a call waits at most flush_timeout, then calls are dropped and counted', () => {
    const { logger, diagnostics } = workerLogger(
      { kind: 'backend', name: 'stalled', config: {} },
      { bufferSize: 5, flushTimeoutMs: 300 },
    );
    const started = performance.now();
    for (let i = 0; i < 50; i++) logger.logMetrics({ i }, i);
    const took = performance.now() - started;
    // One wait of 300 ms, not one per call.
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    const { dropped, buffered } = logger.stats;
    expect(dropped + buffered).toBeGreaterThanOrEqual(44);
    expect(diagnostics.at('WARNING').join('\n')).toMatch(
      /no room in the buffer of 5 calls within flush_timeout \(0\.3 s\)/,
    );
  });

  it('a worker ended mid-run: training goes on, the death is reported once, later rows arrive in a fresh worker', async () => {
    const file = join(scratch, 'terminated.txt');
    const { logger, diagnostics } = workerLogger({
      kind: 'backend',
      name: 'file',
      config: { file },
    });
    for (let i = 0; i < 1000; i++) logger.logMetrics({ i }, i);
    await logger.flush();
    await logger.currentWorker.terminate();
    for (let i = 1000; i < 2000; i++) logger.logMetrics({ i }, i);
    await sleep(200);
    for (let i = 2000; i < 3000; i++) logger.logMetrics({ i }, i);
    await logger.finish();
    const errors = diagnostics.at('ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /the backend worker stopped \(exit code 1\); 0 logging calls .* may be lost/,
    );
    const rows = fileRows(file);
    // Flushed before the end: nothing lost, nothing twice, later rows all there.
    expect(rows).toEqual([...Array(3000).keys()]);
    expect(logger.stats).toMatchObject({ delivered: 3000, lost: 0, dropped: 0 });
  });

  it('a backend that throws an uncaught error in the worker: reported once, the loss counted, later rows arrive', async () => {
    const file = join(scratch, 'crashed.txt');
    const { logger, diagnostics } = workerLogger(
      { kind: 'backend', name: 'file', config: { file } },
      // The calls after the crash wait for the fresh worker: a loaded machine starts one slowly.
      { flushTimeoutMs: 60_000 },
    );
    for (let i = 0; i < 500; i++) logger.logMetrics(i === 250 ? { i, crash: 1 } : { i }, i);
    // The crash happens on the worker's next turn; the calling thread learns of it on its own.
    for (let wait = 0; wait < 100 && diagnostics.at('ERROR').length === 0; wait++) await sleep(20);
    for (let i = 500; i < 1000; i++) logger.logMetrics({ i }, i);
    await logger.finish();
    const errors = diagnostics.at('ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /the backend worker stopped \(.*a backend bug in the worker.*\); (\d+) logging calls/,
    );
    const { delivered, lost, dropped } = logger.stats;
    expect(dropped).toBe(0);
    expect(delivered + lost).toBe(1000);
    const rows = fileRows(file);
    // Every row after the crash arrived; what the file lacks is within what was reported lost.
    expect(rows.slice(-500)).toEqual([...Array(500).keys()].map((i) => i + 500));
    expect(1000 - new Set(rows).size).toBeLessThanOrEqual(lost);
  });

  it('at process exit, the worker delivers the ring and writes synchronously while the caller waits', async () => {
    const dir = join(scratch, 'exit');
    const { logger } = workerLogger(
      {
        kind: 'multi',
        config: {
          backends: ['tensorboard'],
          run_name: 'exit',
          handle_signals: false,
          tensorboard: { log_dir: dir, flush_secs: 3600 },
        },
      },
      { bufferSize: 1000 },
    );
    for (let i = 0; i < 500; i++) logger.logMetrics({ loss: 1 / (i + 1) }, i);
    logger.flushSync({ exitCode: 0 });
    const run = await accumulate(join(dir, 'exit'));
    expect(run.scalars.loss).toHaveLength(500);
  });

  it('writes console lines to the file descriptor at once, whole and in order', async () => {
    const path = join(scratch, 'console.txt');
    const fd = openSync(path, 'w');
    try {
      const { logger } = workerLogger({
        kind: 'backend',
        name: 'console',
        config: { stream: { __fd: fd }, colored: false, format: '%(message)s' },
      });
      for (let i = 0; i < 20; i++) logger.logMetrics({ loss: i }, i);
      await logger.flush();
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(20);
      expect(lines.map((line) => line.match(/loss[^0-9]*(\d+)/)?.[1])).toEqual(
        [...Array(20).keys()].map(String),
      );
    } finally {
      closeSync(fd);
    }
  });
});
