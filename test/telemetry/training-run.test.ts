import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import type { MetricsEvent } from '../../src/events/events.js';
import { logExecutionTime } from '../../src/loggers/decorators.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { memoryBackend } from '../support/memory-sink.js';
import { recordingBackend } from '../support/recording-backend.js';

const open: TelemetryLogger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

function loggerWith(options: { exportIntervalMillis?: number; logFrequency?: number } = {}) {
  const { sink, backend } = memoryBackend(options);
  const diagnostics = new CollectingDiagnostics();
  const logger = new TelemetryLogger({}, () => [backend], {
    diagnostics,
    settings: { handle_signals: false },
  });
  open.push(logger);
  return { logger, sink, diagnostics };
}

describe('lossless rows', () => {
  // The export interval only paces metric readers; rows travel as events and must all arrive.
  it.each([1, 50, 60_000])(
    '10,000 steps in a tight loop reach a step-aware exporter as 10,000 rows (export interval %i ms)',
    async (exportIntervalMillis) => {
      const { logger, sink } = loggerWith({ exportIntervalMillis });
      const expected: { step: number; loss: number; acc: number }[] = [];
      for (let step = 0; step < 10_000; step++) {
        const row = { step, loss: Math.random(), acc: step / 10_000 };
        expected.push(row);
        logger.logMetrics({ loss: row.loss, acc: row.acc }, step);
      }
      await logger.finish();
      const rows = sink.rows;
      expect(rows).toHaveLength(10_000);
      rows.forEach((row, i) => {
        expect(row.step).toBe(expected[i]!.step);
        expect(row.values).toEqual({ loss: expected[i]!.loss, acc: expected[i]!.acc });
      });
    },
  );

  it('keeps rows in order across event-loop turns and a flush', async () => {
    const { logger, sink } = loggerWith();
    for (let step = 0; step < 100; step++) {
      logger.logMetrics({ x: step }, step);
      if (step % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await logger.flush();
    expect(sink.rows.map((r) => r.step)).toEqual([...Array(100).keys()]);
    expect(sink.flushes).toBeGreaterThan(0);
  });
});

describe('steps', () => {
  it('takes the next step when none is given, and the current one for media', async () => {
    const { logger, sink } = loggerWith();
    logger.logMetrics({ a: 1 });
    logger.logMetrics({ a: 2 });
    logger.logMetrics({ a: 3 }, 10);
    logger.logMetrics({ a: 4 });
    logger.logText('note', 'hello');
    await logger.finish();
    expect(sink.rows.map((r) => r.step)).toEqual([0, 1, 10, 11]);
    const text = sink.events.find((e) => e.kind === 'text');
    expect(text).toMatchObject({ step: 11, tag: 'note', text: 'hello' });
  });

  it('ends the run with a run-end event carrying the exit code, once', async () => {
    const { logger, sink } = loggerWith();
    logger.logMetrics({ a: 1 }, 0);
    await Promise.all([logger.finish({ exitCode: 3 }), logger.finish()]);
    await logger.finish();
    const ends = sink.events.filter((e) => e.kind === 'runEnd');
    expect(ends).toEqual([expect.objectContaining({ exitCode: 3, status: 'failed' })]);
    expect(sink.shutdowns).toBe(1);
  });

  it('ignores rows after finish, with a warning', async () => {
    const { logger, sink, diagnostics } = loggerWith();
    await logger.finish();
    logger.logMetrics({ a: 1 }, 0);
    expect(sink.rows).toHaveLength(0);
    expect(diagnostics.at('WARNING').join('\n')).toMatch(/after finish/);
  });
});

describe('log_frequency', () => {
  it('writes each key at most once every N steps, always its first value', async () => {
    const { logger, sink } = loggerWith({ logFrequency: 10 });
    for (let step = 0; step < 30; step++) logger.logMetrics({ train: step }, step);
    logger.logMetrics({ val: 1 }, 33);
    await logger.finish();
    const written = sink.rows.map((r: MetricsEvent) => [r.step, Object.keys(r.values)]);
    expect(written).toEqual([
      [0, ['train']],
      [10, ['train']],
      [20, ['train']],
      [33, ['val']],
    ]);
  });
});

describe('media', () => {
  it('turns values into histogram buckets that total the finite values', async () => {
    const { logger, sink } = loggerWith();
    const values = Float32Array.from({ length: 1000 }, () => Math.random() * 4 - 2);
    logger.logHistogram('weights', values, 5);
    await logger.finish();
    const event = sink.events.find((e) => e.kind === 'histogram');
    if (event?.kind !== 'histogram') throw new Error('no histogram event');
    expect(event.step).toBe(5);
    expect(event.histogram.count).toBe(1000);
    expect(event.histogram.bucketCounts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(event.histogram.min).toBe(Math.min(...values));
    expect(event.histogram.max).toBe(Math.max(...values));
  });
});

// A garbage collection on demand, to compare heaps.
setFlagsFromString('--expose-gc');

describe('a new bad key in every row', () => {
  it('keeps the warnings bounded and the heap flat over 40,000 rows', async () => {
    const gc = runInNewContext('gc') as () => void;
    const diagnostics = new CollectingDiagnostics();
    // Instruments only: every row is read and checked, and nothing keeps the rows themselves.
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    });
    const logger = new TelemetryLogger(
      {},
      () => [{ name: 'metrics', runMetricReaders: [reader] }],
      {
        diagnostics,
        settings: { handle_signals: false },
      },
    );
    open.push(logger);
    const rows = (from: number) => {
      for (let i = from; i < from + 20_000; i++) {
        logger.logMetrics({ ok: i, [`bad-${i}-${'x'.repeat(40)}`]: 'text' }, i);
      }
    };
    rows(0);
    gc();
    const before = process.memoryUsage().heapUsed;
    rows(20_000);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // 20,000 more remembered keys would take well over 2 MB.
    expect(grown).toBeLessThan(1024 * 1024);
    expect(diagnostics.at('WARNING')).toHaveLength(5);
  });
});

describe("the rows' instruments of a run whose own meter is for its calls", () => {
  it("records the rows' gauges and the step on the application's meter only, and the calls' on both", async () => {
    const own = recordingBackend();
    const appMetrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const appReader = new PeriodicExportingMetricReader({
      exporter: appMetrics,
      exportIntervalMillis: 3_600_000,
    });
    const logger = new TelemetryLogger({}, () => [own.backend], {
      diagnostics: new CollectingDiagnostics(),
      settings: { handle_signals: false },
      meterProvider: new MeterProvider({ readers: [appReader] }),
      rowInstrumentsOnOwnMeter: false,
    });
    open.push(logger);
    logExecutionTime(logger)(function step() {
      logger.logMetrics({ loss: 0.5 }, 3);
    })();
    await appReader.forceFlush();
    const app = appMetrics
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
    const ours = (await own.metrics()).map((m) => m.descriptor.name);
    expect(app).toEqual(expect.arrayContaining(['loss', 'jepa.step', 'jepa.call.duration']));
    expect(ours).toContain('jepa.call.duration');
    expect(ours).not.toContain('loss');
    expect(ours).not.toContain('jepa.step');
  });
});
