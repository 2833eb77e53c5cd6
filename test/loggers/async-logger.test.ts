import {
  createWriteStream,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logsOf, metricsOf, spansOf } from '../../src/bridge/otlp-model.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import type { WorkerLogger } from '../../src/loggers/async/worker-logger.js';
import { AsyncLogger } from '../../src/loggers/async-logger.js';
import { BaseLogger, type Metrics } from '../../src/loggers/base-logger.js';
import { logExecutionTime } from '../../src/loggers/decorators.js';
import '../../src/loggers/builtins.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { trackedRunCount } from '../../src/telemetry/lifecycle.js';
import { ensureBuilt } from '../exporters/tensorboard/built.js';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { readWandbFile } from '../exporters/wandb/wandb-python.js';
import { CaptureStream } from '../support/capture-stream.js';
import { decodedRequests, startCapture } from '../support/otlp-capture.js';
import { recordingBackend } from '../support/recording-backend.js';

const open: BaseLogger[] = [];
const fixtures = join(import.meta.dirname, 'async', 'fixtures', 'custom-backends.mjs');

// The worker runs the compiled package (a worker thread cannot run TypeScript).
beforeAll(() => ensureBuilt(), 180_000);
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

/** A custom backend that keeps rows; `hold` makes its calls (or its flush) wait on a promise. */
class SlowLogger extends BaseLogger {
  readonly received: number[] = [];
  finished = false;
  hold: { calls?: Promise<void>; flush?: Promise<void> } = {};

  override async logMetrics(metrics: Metrics, _step?: number): Promise<void> {
    const stall = this.hold.calls;
    this.hold.calls = undefined;
    if (stall) await stall;
    this.received.push(metrics.i as number);
  }

  override async flush(): Promise<void> {
    const stall = this.hold.flush;
    this.hold.flush = undefined;
    if (stall) await stall;
  }

  override async finish(): Promise<void> {
    this.finished = true;
  }
}

/** Resolves once `condition` holds (checked every 5 ms); fails after 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met within 5 s');
    await sleep(5);
  }
}

function asyncLogger(config: Record<string, unknown>, diagnostics = new CollectingDiagnostics()) {
  const logger = new AsyncLogger(config, { diagnostics });
  open.push(logger);
  return { logger, diagnostics };
}

describe('seed: Async Logging', () => {
  it("logs {loss: 0.5} at step 100 without blocking, to W&B (offline: the seed's backend)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-'));
    try {
      const logger = new AsyncLogger({
        backend: 'wandb',
        buffer_size: 1000,
        flush_interval: 30, // seconds
        mode: 'offline',
        dir,
        project: 'jepa-async',
      });
      // Non-blocking log calls
      expect(logger.logMetrics({ loss: 0.5 }, 100)).toBeUndefined();
      // Built from configuration: W&B runs in the AsyncLogger's worker.
      expect(logger.inWorker).toBe(true);
      await logger.finish();
      expect(logger.stats).toMatchObject({ buffered: 0, delivered: 1, dropped: 0 });
      const [run] = readdirSync(join(dir, 'wandb')).filter((d) => d.startsWith('offline-run-'));
      const file = readdirSync(join(dir, 'wandb', run!)).find((f) => f.endsWith('.wandb'));
      // The history record carries the key as protobuf text: the row reached the run file.
      expect(readFileSync(join(dir, 'wandb', run!, file!)).includes('loss')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AsyncLogger', () => {
  it('with a backend stalled for 5 s: callers never wait, memory stays bounded, drops are counted', async () => {
    const backend = new SlowLogger();
    let release!: () => void;
    backend.hold.calls = new Promise((resolve) => {
      release = resolve;
    });
    const stallTimer = setTimeout(() => release(), 5000);
    const { logger, diagnostics } = asyncLogger({
      base_logger: backend,
      buffer_size: 100,
      flush_interval: 0.25,
    });
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const started = performance.now();
    const callMs: number[] = [];
    let mostBuffered = 0;
    let logged = 0;
    let callsDuringStall = 0;
    try {
      // About 6 s of logging at ~2 rows per millisecond, yielding now and then as a loop does.
      while (performance.now() - started < 6000) {
        for (let k = 0; k < 20; k++) {
          const before = performance.now();
          const result = logger.logMetrics({ i: logged }, logged);
          callMs.push(performance.now() - before);
          if (before - started < 4900) callsDuringStall++;
          expect(result).toBeUndefined();
          logged++;
          mostBuffered = Math.max(mostBuffered, logger.stats.buffered);
        }
        await sleep(10);
      }
    } finally {
      clearTimeout(stallTimer);
      release();
    }
    loopDelay.disable();
    await logger.finish();
    const { delivered, dropped, buffered, failed } = logger.stats;

    // No call and no turn of the event loop waited for the 5 s stall: the bounds are far below
    // it, so that a loaded machine cannot fail them, while waiting would. (How fast a call is,
    // is the benchmarks' business, not a test's.)
    expect(Math.max(...callMs)).toBeLessThan(1000);
    expect(loopDelay.max / 1e6).toBeLessThan(1000);
    expect(callsDuringStall).toBeGreaterThan(1000);
    expect(mostBuffered).toBe(100);
    expect(buffered).toBe(0);
    expect(failed).toBe(0);
    // Everything is accounted for, and the stall cost thousands of rows.
    expect(delivered + dropped).toBe(logged);
    expect(dropped).toBeGreaterThan(1000);
    expect(backend.received).toHaveLength(delivered);
    // The newest rows are the ones dropped: the backend has the first 100 in order, every row it
    // got in order, and the last one logged (how many gaps depends on the machine's timing).
    expect(backend.received.slice(0, 100)).toEqual([...Array(100).keys()]);
    expect(backend.received.every((value, i) => i === 0 || value > backend.received[i - 1]!)).toBe(
      true,
    );
    expect(backend.received.length).toBeLessThan(logged);
    expect(backend.received.at(-1)).toBe(logged - 1);
    // Reported while it happened, and once more at the end.
    const warnings = diagnostics.at('WARNING');
    expect(warnings.some((w) => /logging calls dropped in the last 0\.25 s/.test(w))).toBe(true);
    expect(warnings.reduce((n, w) => n + Number(/^AsyncLogger: (\d+)/.exec(w)?.[1] ?? 0), 0)).toBe(
      dropped,
    );
    expect(backend.finished).toBe(true);
  }, 20_000);

  it('with a backend whose flush stalls, keeps taking calls within the buffer', async () => {
    const backend = new SlowLogger();
    let release!: () => void;
    backend.hold.flush = new Promise((resolve) => {
      release = resolve;
    });
    const { logger } = asyncLogger({ base_logger: backend, buffer_size: 10, flush_interval: 0.05 });
    for (let i = 0; i < 5; i++) logger.logMetrics({ i }, i);
    await until(() => backend.received.length === 5);
    // Handed over, then the flush stalls: later calls fill the buffer and the rest are dropped.
    expect(backend.received).toEqual([0, 1, 2, 3, 4]);
    for (let i = 5; i < 30; i++) logger.logMetrics({ i }, i);
    expect(logger.stats).toMatchObject({ buffered: 10, dropped: 15 });
    release();
    await logger.finish();
    expect(backend.received).toEqual([...Array(15).keys()]);
  });

  it('hands over when the buffer is full', async () => {
    const backend = new SlowLogger();
    const { logger } = asyncLogger({ base_logger: backend, buffer_size: 4, flush_interval: 3600 });
    for (let i = 0; i < 3; i++) logger.logMetrics({ i }, i);
    await sleep(20);
    expect(backend.received).toEqual([]);
    logger.logMetrics({ i: 3 }, 3);
    await until(() => backend.received.length === 4);
    expect(backend.received).toEqual([0, 1, 2, 3]);
  });

  it('hands over every flush_interval', async () => {
    const backend = new SlowLogger();
    const { logger } = asyncLogger({
      base_logger: backend,
      buffer_size: 1000,
      flush_interval: 0.1,
    });
    const started = performance.now();
    logger.logMetrics({ i: 0 }, 0);
    await until(() => backend.received.length === 1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('reads nothing of a row on the calling path', () => {
    const backend = new SlowLogger();
    const { logger } = asyncLogger({ base_logger: backend, buffer_size: 10 });
    let touched = 0;
    const row = new Proxy(
      { i: 1 },
      {
        get: (target, key) => {
          touched++;
          return Reflect.get(target, key);
        },
        ownKeys: (target) => {
          touched++;
          return Reflect.ownKeys(target);
        },
      },
    );
    logger.logMetrics(row, 1);
    expect(touched).toBe(0);
  });

  it('delivers every kind of call in order to the console backend', async () => {
    const stream = new CaptureStream();
    const { logger } = asyncLogger({
      backend: 'console',
      stream,
      format: '%(message)s',
      buffer_size: 50,
    });
    logger.logMetrics({ loss: 0.5 }, 1);
    logger.logText('notes', 'hello', 1);
    logger.logHistogram('w', [1, 2, 3], 2);
    logger.logMetrics({ loss: 0.25 });
    expect(stream.text).toBe('');
    await logger.finish();
    expect(stream.lines).toEqual([
      'step 1 | loss 0.5000',
      'step 1 | text notes: hello',
      'step 2 | histogram w: n 3, min 1, mean 2, max 3',
      'step 3 | loss 0.2500',
      'run finished (exit code 0)',
    ]);
  });

  it('at process exit, hands the buffer over and has the backend write it synchronously', () => {
    const stream = new CaptureStream();
    const { logger } = asyncLogger({ backend: 'console', stream, format: '%(message)s' });
    logger.logMetrics({ loss: 0.5 }, 1);
    logger.logMetrics({ loss: 0.25 }, 2);
    logger.flushSync();
    expect(stream.lines).toEqual(['step 1 | loss 0.5000', 'step 2 | loss 0.2500']);
    expect(logger.stats).toMatchObject({ buffered: 0, delivered: 2 });
  });

  it('counts calls the backend fails to take, and keeps going', async () => {
    class Flaky extends SlowLogger {
      override async logMetrics(metrics: Metrics, step?: number): Promise<void> {
        if ((metrics.i as number) % 2 === 1) throw new Error('HTTP 503');
        await super.logMetrics(metrics, step);
      }
    }
    const backend = new Flaky();
    const { logger, diagnostics } = asyncLogger({ base_logger: backend, buffer_size: 10 });
    for (let i = 0; i < 6; i++) logger.logMetrics({ i }, i);
    await logger.finish();
    expect(backend.received).toEqual([0, 2, 4]);
    expect(logger.stats.failed).toBe(3);
    expect(diagnostics.at('WARNING')).toEqual([
      'AsyncLogger: the backend failed to take a logging call: Error: HTTP 503',
    ]);
  });

  it('counts drops on an OTel counter when the backend exports instruments', async () => {
    const recording = recordingBackend();
    const base = new TelemetryLogger({}, () => [recording.backend], {
      settings: { handle_signals: false },
    });
    const { logger, diagnostics } = asyncLogger({
      base_logger: base,
      buffer_size: 5,
      flush_interval: 0.05,
      on_full: 'drop',
    });
    for (let i = 0; i < 20; i++) logger.logMetrics({ i }, i);
    // Drops are counted when they are reported, at the next flush_interval.
    await until(() => diagnostics.at('WARNING').length > 0);
    const counter = (await recording.metrics()).filter(
      (m) => m.descriptor.name === 'jepa.async_logger.dropped',
    );
    expect(counter.at(-1)?.dataPoints[0]?.value).toBe(15);
  });

  it('takes over the exit hooks of the run it wraps, and finishes it', async () => {
    const before = trackedRunCount();
    const base = new TelemetryLogger({}, () => [], {});
    expect(trackedRunCount()).toBe(before + 1);
    const logger = new AsyncLogger({ base_logger: base });
    expect(trackedRunCount()).toBe(before + 1);
    await logger.finish();
    expect(trackedRunCount()).toBe(before);
    expect(base.run.finished).toBe(true);
  });

  it("the Python API's example in a loop that never yields: 50,000 calls through a buffer of 1000 reach all four backends", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-block-'));
    const otlp = await startCapture();
    try {
      const base = createLogger(
        {
          backends: ['console', 'tensorboard', 'wandb', 'otlp'],
          run_name: 'never-yields',
          handle_signals: false,
          console: { stream: new CaptureStream() },
          tensorboard: { log_dir: join(dir, 'tb') },
          wandb: { mode: 'offline', dir, id: 'neveryld' },
          otlp: { endpoint: otlp.url },
        },
        // The OTLP backend's bounded queue drops and counts most rows of a loop that never
        // yields (its own loss accounting); TensorBoard and W&B are the ones read back here.
        { env: {}, diagnostics: new CollectingDiagnostics() },
      );
      const { logger } = asyncLogger({ base_logger: base, buffer_size: 1000, flush_interval: 30 });
      const rows = 50_000;
      // Synchronous training code: the loop never gives the event loop a turn.
      for (let i = 0; i < rows; i++) logger.logMetrics({ loss: 1 / (i + 1) }, i);
      expect(logger.stats).toMatchObject({ dropped: 0, delivered: rows - logger.stats.buffered });
      await logger.finish();
      expect(logger.stats).toMatchObject({ buffered: 0, delivered: rows, dropped: 0 });

      const tensorboard = await accumulate(join(dir, 'tb', 'never-yields'));
      const loss = tensorboard.scalars.loss!;
      expect(loss).toHaveLength(rows);
      expect(loss.every(([step], i) => step === i)).toBe(true);
      const [run] = readdirSync(join(dir, 'wandb')).filter((d) => d.endsWith('-neveryld'));
      const records = await readWandbFile(join(dir, 'wandb', run!, 'run-neveryld.wandb'));
      const steps = records
        .filter((r) => r.record.history)
        .map((r) => {
          const item = (r.record.history.item as { key: string; value_json: string }[]).find(
            (it) => it.key === '_step',
          );
          return Number(item?.value_json);
        });
      expect(steps).toHaveLength(rows);
      expect(steps.every((step, i) => step === i)).toBe(true);
    } finally {
      await otlp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('finish() gives up after flush_timeout on a backend that takes 2 s a call, and reports what it did not deliver', async () => {
    class StalledLogger extends BaseLogger {
      received = 0;
      override async logMetrics(): Promise<void> {
        await sleep(2000);
        this.received++;
      }
    }
    const backend = new StalledLogger();
    const { logger, diagnostics } = asyncLogger({
      base_logger: backend,
      buffer_size: 100,
      flush_interval: 30,
      flush_timeout: 1,
    });
    for (let i = 0; i < 10; i++) logger.logMetrics({ i }, i);
    const started = performance.now();
    await logger.finish();
    expect(performance.now() - started).toBeLessThan(2000);
    const { delivered, dropped, buffered } = logger.stats;
    expect(buffered).toBe(0);
    expect(delivered + dropped).toBe(10);
    expect(dropped).toBeGreaterThanOrEqual(9);
    expect(diagnostics.at('WARNING')).toContain(
      `AsyncLogger: finish() stopped waiting after flush_timeout (1 s): the backend had not taken ${dropped} logging calls; they are counted as dropped`,
    );
  });

  it('rejects bad options, naming them', () => {
    expect(() => new AsyncLogger({ buffer_size: 0, base_logger: new SlowLogger() })).toThrow(
      /AsyncLogger\.buffer_size: Too small: expected number to be >=1/,
    );
    expect(
      () => new AsyncLogger({ flush_interval: 'soon', base_logger: new SlowLogger() }),
    ).toThrow(/AsyncLogger\.flush_interval: expected number, received string/);
    expect(() => new AsyncLogger({ backend: 42 })).toThrow(
      /AsyncLogger\.backend: expected a logger/,
    );
    expect(() => new AsyncLogger({ backend: 'wandbb' })).toThrow(/did you mean 'wandb'/);
  });
});

/** The steps of the history rows of a W&B run file, read by wandb's own protobufs. */
async function wandbSteps(file: string): Promise<number[]> {
  const records = await readWandbFile(file);
  return records
    .filter((r) => r.record.history)
    .map((r) => {
      const item = (r.record.history.item as { key: string; value_json: string }[]).find(
        (it) => it.key === '_step',
      );
      return Number(item?.value_json);
    });
}

/** The worker of an AsyncLogger (the test hook that ends it). */
function workerOf(logger: AsyncLogger): WorkerLogger {
  return (logger as unknown as { worker: WorkerLogger }).worker;
}

describe('AsyncLogger with its backends in a worker', () => {
  it("the Python API's example in a loop that never yields: 50,000 calls through a buffer of 1000 reach all four backends, none dropped", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-worker-'));
    const otlp = await startCapture();
    const consoleFile = join(dir, 'console.txt');
    try {
      const { logger } = asyncLogger({
        backends: ['console', 'tensorboard', 'wandb', 'otlp'],
        run_name: 'never-yields',
        console: { stream: createWriteStream(consoleFile, { fd: openSync(consoleFile, 'w') }) },
        tensorboard: { log_dir: join(dir, 'tb') },
        wandb: { mode: 'offline', dir, id: 'neveryld' },
        otlp: { endpoint: otlp.url },
        buffer_size: 1000,
        flush_interval: 30,
        // A full ring waits for room at most flush_timeout: on a loaded machine the worker may
        // starve longer than the default 10 s, which is the stalled-backend case tested apart.
        flush_timeout: 60,
      });
      expect(logger.inWorker).toBe(true);
      const rows = 50_000;
      // Synchronous training code: the loop never gives the event loop a turn.
      for (let i = 0; i < rows; i++) logger.logMetrics({ loss: 1 / (i + 1) }, i);
      // A full ring made the caller wait for the worker: nothing was dropped.
      expect(logger.stats).toMatchObject({ dropped: 0, lost: 0 });
      expect(logger.stats.buffered).toBeLessThanOrEqual(1000);
      await logger.finish();
      expect(logger.stats).toMatchObject({ buffered: 0, delivered: rows, dropped: 0, lost: 0 });

      const tensorboard = await accumulate(join(dir, 'tb', 'never-yields'));
      const loss = tensorboard.scalars.loss!;
      expect(loss).toHaveLength(rows);
      expect(loss.every(([step], i) => step === i)).toBe(true);
      const [run] = readdirSync(join(dir, 'wandb')).filter((d) => d.endsWith('-neveryld'));
      const steps = await wandbSteps(join(dir, 'wandb', run!, 'run-neveryld.wandb'));
      expect(steps).toHaveLength(rows);
      expect(steps.every((step, i) => step === i)).toBe(true);
      // The worker wrote the console lines to the stream's file descriptor itself.
      const lines = readFileSync(consoleFile, 'utf8').split('\n');
      expect(lines.filter((line) => line.includes('loss'))).toHaveLength(rows);
    } finally {
      await otlp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('decorator spans and call instruments go over OTLP from the calling thread, the rows and their gauges from the worker, each once', async () => {
    const otlp = await startCapture();
    try {
      const { logger } = asyncLogger({
        backend: 'otlp',
        endpoint: otlp.url,
        buffer_size: 1000,
        flush_interval: 30,
      });
      expect(logger.inWorker).toBe(true);
      const step = logExecutionTime(logger)(function trainingStep(i: number) {
        logger.logMetrics({ loss: 1 / (i + 1) }, i);
      });
      for (let i = 0; i < 5; i++) step(i);
      await logger.finish();

      const spans = decodedRequests(otlp.requests, 'traces')
        .flatMap(spansOf)
        .flatMap((group) => group.scopes.flatMap((scope) => scope.items));
      expect(spans.map((span) => span.name)).toEqual(Array(5).fill('trainingStep'));
      const rows = decodedRequests(otlp.requests, 'logs')
        .flatMap(logsOf)
        .flatMap((group) => group.scopes.flatMap((scope) => scope.items))
        .filter((record) => record.eventName === 'jepa.metrics');
      // Each step's loss row, and the time/trainingStep value logExecutionTime adds at its step.
      const steps = (key: string) =>
        rows.filter((row) => key in row.attributes).map((row) => row.attributes['jepa.step']);
      expect(steps('loss')).toEqual([0, 1, 2, 3, 4]);
      expect(steps('time/trainingStep')).toEqual([0, 1, 2, 3, 4]);
      // Two exporters of metrics: the calling thread's (the calls) and the worker's (the rows).
      const requests = decodedRequests(otlp.requests, 'metrics').map((request) =>
        metricsOf(request).flatMap((group) => group.scopes.flatMap((scope) => scope.items)),
      );
      const names = (metrics: (typeof requests)[number]) => metrics.map((m) => m.name);
      const calls = requests.filter((metrics) => names(metrics).includes('jepa.call.duration'));
      const gauges = requests.filter((metrics) => names(metrics).includes('loss'));
      expect(calls.length).toBeGreaterThan(0);
      expect(gauges.length).toBeGreaterThan(0);
      for (const metrics of calls) {
        expect(names(metrics)).not.toContain('loss');
        expect(names(metrics)).not.toContain('jepa.step');
        expect(names(metrics)).not.toContain('jepa.otlp.lost');
      }
      for (const metrics of gauges) expect(names(metrics)).not.toContain('jepa.call.duration');
      const duration = calls.at(-1)!.find((m) => m.name === 'jepa.call.duration');
      expect(duration?.kind === 'histogram' && duration.points[0]?.count).toBe(5);
    } finally {
      await otlp.close();
    }
  }, 60_000);

  it('finish() returns within flush_timeout + 1 s from a custom backend that stalls 2 s a call, and reports what it did not deliver', async () => {
    const { logger, diagnostics } = asyncLogger({
      backend: 'stalled',
      worker_modules: [fixtures],
      buffer_size: 100,
      flush_timeout: 1,
    });
    expect(logger.inWorker).toBe(true);
    for (let i = 0; i < 10; i++) logger.logMetrics({ i }, i);
    const started = performance.now();
    await logger.finish();
    expect(performance.now() - started).toBeLessThan(2000);
    const { delivered, dropped, lost, buffered } = logger.stats;
    expect(buffered).toBe(0);
    expect(delivered + dropped + lost).toBe(10);
    expect(dropped).toBeGreaterThanOrEqual(9);
    expect(diagnostics.at('WARNING')).toContain(
      `AsyncLogger: finish() stopped waiting after flush_timeout (1 s): the backend had not taken ${dropped} logging calls; they are counted as dropped`,
    );
  });

  it('a worker ended mid-run: training goes on, the death is reported once, later rows reach TensorBoard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-death-'));
    try {
      const { logger, diagnostics } = asyncLogger({
        backends: ['tensorboard'],
        run_name: 'ended',
        tensorboard: { log_dir: dir },
        buffer_size: 1000,
      });
      for (let i = 0; i < 1000; i++) logger.logMetrics({ loss: i }, i);
      await logger.flush();
      await workerOf(logger).currentWorker.terminate();
      for (let i = 1000; i < 3000; i++) logger.logMetrics({ loss: i }, i);
      await sleep(100);
      for (let i = 3000; i < 4000; i++) logger.logMetrics({ loss: i }, i);
      await logger.finish();
      const errors = diagnostics.at('ERROR');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^AsyncLogger: the backend worker stopped \(exit code 1\); 0 logging calls it had taken since its last flush may be lost; a fresh worker takes the \d+ calls still buffered/,
      );
      expect(logger.stats).toMatchObject({ delivered: 4000, dropped: 0, lost: 0 });
      // The fresh worker wrote a second event file in the same run: TensorBoard reads both.
      const loss = (await accumulate(join(dir, 'ended'))).scalars.loss!;
      expect(loss.map(([step]) => step)).toEqual([...Array(4000).keys()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a backend that throws an uncaught error in the worker: training goes on, the loss is reported once and counted, later rows arrive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-crash-'));
    const file = join(dir, 'rows.txt');
    try {
      const { logger, diagnostics } = asyncLogger({
        backend: 'file',
        file,
        worker_modules: [fixtures],
      });
      for (let i = 0; i < 500; i++) logger.logMetrics(i === 250 ? { i, crash: 1 } : { i }, i);
      await until(() => diagnostics.at('ERROR').length > 0);
      for (let i = 500; i < 1000; i++) logger.logMetrics({ i }, i);
      await logger.finish();
      const errors = diagnostics.at('ERROR');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/a backend bug in the worker/);
      const { delivered, lost, dropped } = logger.stats;
      expect(dropped).toBe(0);
      expect(delivered + lost).toBe(1000);
      const rows = readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => Number(line.split(' ')[1]));
      expect(rows.slice(-500)).toEqual([...Array(500).keys()].map((i) => i + 500));
      expect(1000 - new Set(rows).size).toBeLessThanOrEqual(lost);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a YAML configuration naming a custom backend that worker_modules register in the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-yaml-'));
    const file = join(dir, 'rows.txt');
    const config = join(dir, 'logging.yaml');
    writeFileSync(config, `backends: [file]\nfile:\n  file: ${JSON.stringify(file)}\n`);
    try {
      const { logger, diagnostics } = asyncLogger({ config, worker_modules: [fixtures] });
      expect(logger.inWorker).toBe(true);
      for (let i = 0; i < 10; i++) logger.logMetrics({ i }, i);
      await logger.finish();
      expect(diagnostics.at('ERROR')).toEqual([]);
      expect(readFileSync(file, 'utf8')).toBe(
        [...Array(10).keys()].map((i) => `${i} ${i}\n`).join(''),
      );
      // Without the modules that register it, the backend is unknown here, as it would be to createLogger.
      expect(() => asyncLogger({ config })).toThrow(/file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives the application's registered OTel SDK the rows on the calling thread, and the worker's backends them too", async () => {
    const records = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: records })],
    });
    logs.setGlobalLoggerProvider(provider);
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-app-'));
    try {
      const { logger } = asyncLogger({
        backends: ['tensorboard'],
        run_name: 'with-app',
        tensorboard: { log_dir: dir },
      });
      expect(logger.inWorker).toBe(true);
      for (let i = 0; i < 5; i++) logger.logMetrics({ loss: i }, i);
      await logger.finish();
      const rows = records.getFinishedLogRecords().filter((r) => r.eventName === 'jepa.metrics');
      expect(rows.map((r) => r.attributes.loss)).toEqual([0, 1, 2, 3, 4]);
      // The worker's TensorBoard run has the rows too.
      const loss = (await accumulate(join(dir, 'with-app'))).scalars.loss!;
      expect(loss.map(([step]) => step)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      logs.disable();
      await provider.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('moves a custom backend named in backends with worker_modules; a call it cannot post is counted and warned about once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-custom-'));
    const file = join(dir, 'rows.txt');
    try {
      const { logger, diagnostics } = asyncLogger({
        backends: ['file'],
        file: { file },
        worker_modules: [fixtures],
      });
      expect(logger.inWorker).toBe(true);
      logger.logMetrics({ i: 0 }, 0);
      logger.logMetrics({ i: 1, f: () => 1 }, 1);
      logger.logMetrics({ i: 2, f: () => 2 }, 2);
      logger.logMetrics({ i: 3 }, 3);
      await logger.finish();
      expect(readFileSync(file, 'utf8')).toBe('0 0\n3 3\n');
      expect(logger.stats).toMatchObject({ delivered: 2, dropped: 2 });
      const notPosted = diagnostics
        .at('WARNING')
        .filter((w) => w.includes('cannot go to the backend worker'));
      expect(notPosted).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds its backends in the worker from a YAML file given as config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-async-yaml-'));
    try {
      const file = join(dir, 'logging.yaml');
      writeFileSync(
        file,
        `logging:\n  backends: [tensorboard]\n  run_name: from-yaml\n  tensorboard:\n    log_dir: ${join(dir, 'tb')}\n`,
      );
      const { logger } = asyncLogger({ config: file, buffer_size: 10 });
      expect(logger.inWorker).toBe(true);
      for (let i = 0; i < 100; i++) logger.logMetrics({ loss: i }, i);
      await logger.finish();
      const loss = (await accumulate(join(dir, 'tb', 'from-yaml'))).scalars.loss!;
      expect(loss.map(([step]) => step)).toEqual([...Array(100).keys()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a logger instance, a stream without a descriptor and worker: false on the calling thread', () => {
    const { logger: instance } = asyncLogger({ base_logger: new SlowLogger() });
    const { logger: stream } = asyncLogger({ backend: 'console', stream: new CaptureStream() });
    const { logger: off } = asyncLogger({ backend: 'console', worker: false });
    expect([instance.inWorker, stream.inWorker, off.inWorker]).toEqual([false, false, false]);
  });

  it('rejects a bad configuration at construction, naming it, before any worker starts', () => {
    expect(
      () => new AsyncLogger({ backends: ['tensorboard'], tensorboard: { flush_secs: 'often' } }),
    ).toThrow(/tensorboard\.flush_secs/);
    expect(() => new AsyncLogger({ worker_modules: 'x.mjs' })).toThrow(
      /AsyncLogger\.worker_modules: expected array/,
    );
  });
});
