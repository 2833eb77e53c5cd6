/**
 * `logMetrics` with arbitrary keys, values and steps (fast-check, thousands of rows): it never
 * throws; every valid key and value reaches a step-aware sink intact (NaN, infinities and -0
 * included, nested objects flattened with `/`, booleans and bigints as numbers), at a valid step;
 * every dropped key is named in a warning; nothing else of the row is lost. The expected row is
 * computed here from docs/bad-input.md, not by the code under test. The run also exports its own
 * instruments (an in-memory metric reader), so arbitrary keys become OTel instruments too.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { memoryBackend } from '../support/memory-sink.js';

const diagnostics = new CollectingDiagnostics();
const { sink, backend } = memoryBackend();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const logger = new TelemetryLogger(
  {},
  () => [
    backend,
    {
      name: 'instruments',
      runMetricReaders: [
        new PeriodicExportingMetricReader({
          exporter: metricExporter,
          exportIntervalMillis: 3_600_000,
        }),
      ],
    },
  ],
  { diagnostics, env: {}, settings: { run_id: 'property', handle_signals: false } },
);
afterAll(() => logger.finish());

const RESERVED = 'jepa.';

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The row docs/bad-input.md promises for `metrics`, and the keys it drops. */
function expected(metrics: Record<string, unknown>) {
  const kept = new Map<string, number>();
  const dropped = new Set<string>();
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const name in object) {
      const key = prefix ? `${prefix}/${name}` : name;
      const value = object[name];
      if (isPlain(value)) {
        walk(value, key);
        continue;
      }
      const number =
        typeof value === 'number'
          ? value
          : typeof value === 'boolean'
            ? Number(value)
            : typeof value === 'bigint'
              ? Number(value)
              : undefined;
      const badKey = key === '' || key === '__proto__' || key.startsWith(RESERVED);
      if (number === undefined || badKey) {
        dropped.add(key);
        kept.delete(key);
      } else {
        kept.set(key, number);
      }
    }
  };
  walk(metrics, '');
  return { kept, dropped };
}

const keyArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z]{1,5}(\/[a-z]{1,5}){0,2}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'jepa.step',
      'jepa.other',
      '__proto__',
      'constructor',
      'toString',
      'a/b',
      'train.loss',
      'train_loss',
      'ключ',
      '損失',
      '\u0000',
      'x'.repeat(300),
    ),
  },
);
const numberArb = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0),
  fc.integer(),
);
const leafArb = fc.oneof(
  { weight: 6, arbitrary: numberArb },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.bigInt() },
  {
    weight: 2,
    arbitrary: fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      maxDepth: 2,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(() => 1, Symbol('s'), new Error('e'), /x/) },
);
const { row: rowArb } = fc.letrec((tie) => ({
  row: fc.dictionary(keyArb, tie('value'), { maxKeys: 8, noNullPrototype: false }),
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('row')),
}));
const stepArb = fc.oneof(
  fc.nat(),
  fc.constantFrom(undefined, null, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '7', 10n),
);

describe('logMetrics with arbitrary input', () => {
  it('never throws; keeps every valid value intact at a valid step; names every dropped key, or counts it past the warning limit', async () => {
    // Keys a warning has named (each is warned about once, maybe in an earlier case); keys past
    // the limit of warnings of their kind, which are counted instead; errors.
    const named = new Set<string>();
    const counted = new Set<string>();
    const errors: string[] = [];
    fc.assert(
      fc.property(rowArb, stepArb, (row, step) => {
        const before = sink.rows.length;
        expect(() =>
          logger.logMetrics(row as Record<string, unknown>, step as number),
        ).not.toThrow();
        // The row to the sink now (the metric readers are collected once, at the end).
        logger.flushSync();
        const { kept, dropped } = expected(row as Record<string, unknown>);
        const written = sink.rows.slice(before);
        // A row whose every value was dropped may reach the sink empty, or not at all.
        expect(written.length).toBeLessThanOrEqual(1);
        const values = written[0]?.values ?? {};
        expect(Object.keys(values).sort()).toEqual([...kept.keys()].sort());
        for (const [key, value] of kept) expect(Object.is(values[key], value), key).toBe(true);
        if (written[0]) {
          expect(Number.isSafeInteger(written[0].step) && written[0].step >= 0).toBe(true);
          if (typeof step === 'number' && Number.isSafeInteger(step) && step >= 0) {
            expect(written[0].step).toBe(step);
          }
        }
        const fresh = diagnostics.messages.splice(0);
        errors.push(...fresh.filter((m) => m.level === 'ERROR').map((m) => m.message));
        for (const key of dropped) {
          const names = key === '' ? ["''", 'an empty metric key'] : [`'${key}'`];
          if (fresh.some((m) => names.some((name) => m.message.includes(name)))) named.add(key);
          if (!named.has(key)) counted.add(key);
        }
        expect(errors).toEqual([]);
      }),
      { numRuns: 3000 },
    );
    // The instruments made from those keys export, whatever the keys were.
    await logger.flush();
    expect(metricExporter.getMetrics().length).toBeGreaterThan(0);
    // The warnings stayed bounded, and finish() counts the keys it did not name.
    expect(named.size).toBeGreaterThan(0);
    await logger.finish();
    const summary = diagnostics.at('WARNING').find((w) => w.endsWith('not shown'));
    const total = [...(summary ?? '').matchAll(/(\d+) of kind/g)].reduce(
      (sum, [, count]) => sum + Number(count),
      0,
    );
    expect(total).toBeGreaterThanOrEqual(counted.size);
  }, 120_000);
});
