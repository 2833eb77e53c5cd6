/**
 * The hand-written history record encoder against the generic one: protobufjs encoding W&B's
 * `Record` from the .proto file, with the items as W&B's writer makes them (the row's keys in
 * order, each value as W&B JSON). The offline tests read the result back with the `wandb` package.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../src/wandb/history.js';
import { HistoryEncoder } from '../../src/wandb/history-encoder.js';
import { encodeRecord } from '../../src/wandb/records.js';
import { wandbJson } from '../../src/wandb/wandb-json.js';

function reference(num: number, row: HistoryRow): Uint8Array {
  const item = Object.entries(row).map(([key, value]) => ({ key, valueJson: wandbJson(value) }));
  return encodeRecord(num, { history: { item, step: { num: row._step } } });
}

const value = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  // Media values: objects with arrays, as W&B histograms and image references are.
  fc.record({ _type: fc.constant('histogram'), values: fc.array(fc.nat(), { maxLength: 70 }) }),
);

const rowArbitrary = fc
  .record({
    values: fc.dictionary(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ minLength: 130, maxLength: 300 }),
      ),
      value,
      { maxKeys: 30 },
    ),
    step: fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
    runtime: fc.double({ min: 0, max: 1e7, noNaN: true }),
    timestamp: fc.double({ min: 1e9, max: 4e9, noNaN: true }),
  })
  .map(({ values, step, runtime, timestamp }) => {
    const { _step, _runtime, _timestamp, ...rest } = values;
    return { ...rest, _step: step, _runtime: runtime, _timestamp: timestamp } as HistoryRow;
  });

describe('HistoryEncoder', () => {
  it("writes protobufjs's bytes for any row (any key, number, string or media value, any step)", () => {
    const encoder = new HistoryEncoder();
    fc.assert(
      // Twice: the second time with the keys' cached bytes and the reused buffer.
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), rowArbitrary, (num, row) => {
        const expected = Buffer.from(reference(num, row));
        const first = Buffer.from(encoder.encode(num, row));
        const second = Buffer.from(encoder.encode(num, row));
        return first.equals(expected) && second.equals(expected);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it('grows its buffer for a row larger than any before', () => {
    const encoder = new HistoryEncoder();
    const small: HistoryRow = { a: 1, _step: 1, _runtime: 0, _timestamp: 1e9 };
    const large: HistoryRow = { text: 'x'.repeat(100_000), _step: 2, _runtime: 1, _timestamp: 1e9 };
    encoder.encode(1, small);
    expect(Buffer.from(encoder.encode(2, large))).toEqual(Buffer.from(reference(2, large)));
  });
});
