import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetricsEvent } from '../../../src/events/events.js';
import { tensorboardTypes } from '../../../src/exporters/tensorboard/proto.js';
import { ScalarRowEncoder } from '../../../src/exporters/tensorboard/scalar-row-encoder.js';

/** The same Event through protobufjs, with proto3's defaults left out as TensorBoard does. */
function reference(event: MetricsEvent): Uint8Array {
  const omitZero = (x: number) => (x === 0 && !Object.is(x, -0) ? undefined : x);
  return tensorboardTypes()
    .Event.encode({
      wallTime: omitZero(event.timeMs / 1000),
      step: omitZero(event.step),
      summary: {
        value: Object.entries(event.values).map(([tag, simpleValue]) => ({
          tag: tag === '' ? undefined : tag,
          simpleValue,
        })),
      },
    })
    .finish();
}

const rowArbitrary = fc.record({
  kind: fc.constant('metrics' as const),
  timeMs: fc.oneof(fc.constantFrom(0, -0), fc.double({ min: 0, max: 4e12, noNaN: true })),
  step: fc.oneof(
    fc.constant(0),
    fc.nat(),
    fc.maxSafeNat(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
  ),
  values: fc.dictionary(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ minLength: 130, maxLength: 300 }),
    ),
    fc.oneof(fc.double(), fc.float(), fc.constantFrom(0, -0, Number.NaN, 1e39, -1e-46)),
    { maxKeys: 30 },
  ),
});

describe('ScalarRowEncoder', () => {
  it("writes protobufjs's bytes for any row (tags of every length, any float, any step)", () => {
    const encoder = new ScalarRowEncoder();
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    fc.assert(
      // Twice: the second time from the cached layout.
      fc.property(rowArbitrary, (row) => {
        const expected = reference(row);
        return same(encoder.encode(row), expected) && same(encoder.encode(row), expected);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it('encodes into a buffer at an offset, touching nothing else', () => {
    const encoder = new ScalarRowEncoder();
    const row: MetricsEvent = {
      kind: 'metrics',
      timeMs: 1.5e12,
      step: 300,
      values: { a: 1, b: 2 },
    };
    const size = encoder.prepare(row);
    const out = new Uint8Array(size + 20).fill(0xee);
    expect(encoder.encodeInto(row, out, 10)).toBe(10 + size);
    expect(Buffer.from(out.subarray(10, 10 + size))).toEqual(Buffer.from(reference(row)));
    expect([out[9], out[10 + size]]).toEqual([0xee, 0xee]);
  });
});
