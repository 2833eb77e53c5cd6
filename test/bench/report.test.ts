/**
 * The benchmark harness's pure parts: statistics, verdicts on targets, and the printed tables.
 * (The benchmark itself is `npm run bench`, not part of the tests: timings are no test.)
 */
import { describe, expect, it } from 'vitest';
import {
  type Figure,
  formatRatio,
  formatTarget,
  formatValue,
  markdownTable,
  ratioOf,
  textTable,
  verdictOf,
} from '../../bench/report.js';
import { median, relativeSpread, sampleOf } from '../../bench/stats.js';

describe('statistics', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(sampleOf([3, 9, 1])).toEqual({ median: 3, runs: [3, 9, 1] });
  });

  it('refuses an empty sample instead of inventing a median', () => {
    expect(() => median([])).toThrow(RangeError);
  });

  it('gives the spread relative to the median', () => {
    expect(relativeSpread([90, 100, 110])).toBeCloseTo(0.2);
    expect(relativeSpread([0, 0])).toBe(0);
  });
});

const costFigure: Figure = {
  section: 1,
  id: 'call.async',
  label: 'call path, AsyncLogger',
  value: 300,
  unit: 'ns',
  baseline: { label: 'floor', value: 1500 },
  target: { on: 'ratio', op: '<=', limit: 2 },
};

describe('verdicts', () => {
  it('judges a cost ratio against an upper limit', () => {
    expect(ratioOf(costFigure)).toBeCloseTo(0.2);
    expect(verdictOf(costFigure)).toBe('met');
    expect(verdictOf({ ...costFigure, value: 3001 })).toBe('missed');
    expect(verdictOf({ ...costFigure, value: 3000 })).toBe('met');
  });

  it('judges a speed-up against a lower limit, and a value against its own limit', () => {
    const rate: Figure = {
      section: 2,
      id: 'rate',
      label: 'rate',
      value: 1_000_000,
      unit: 'per-second',
      baseline: { label: 'peer', value: 25_000 },
      target: { on: 'ratio', op: '>=', limit: 50 },
    };
    expect(verdictOf(rate)).toBe('missed');
    expect(verdictOf({ ...rate, value: 1_250_000 })).toBe('met');
    const share: Figure = {
      section: 5,
      id: 'share',
      label: 'share',
      value: 0.4,
      unit: 'percent',
      target: { on: 'value', op: '<=', limit: 1 },
    };
    expect(verdictOf(share)).toBe('met');
    expect(verdictOf({ ...share, value: 1.2 })).toBe('missed');
  });

  it('has no verdict without a target, and misses a ratio target without a baseline', () => {
    const { target: _, ...untargeted } = costFigure;
    expect(verdictOf(untargeted)).toBe('');
    const { baseline: __, ...unbased } = costFigure;
    expect(verdictOf(unbased)).toBe('missed');
  });
});

describe('formatting', () => {
  it('shows three significant digits in the unit that fits', () => {
    expect(formatValue(1234, 'ns')).toBe('1.23 µs');
    expect(formatValue(999, 'ns')).toBe('999 ns');
    expect(formatValue(2_500_000, 'ns')).toBe('2.50 ms');
    expect(formatValue(3_510_000, 'per-second')).toBe('3.51 M/s');
    expect(formatValue(870, 'per-second')).toBe('870/s');
    expect(formatValue(16.3 * 2 ** 20, 'bytes')).toBe('16.3 MiB');
    expect(formatValue(0.42, 'percent')).toBe('0.420 %');
    expect(formatRatio(0.0861)).toBe('0.0861x');
    expect(formatRatio(186.4)).toBe('186x');
  });

  it('writes targets with their direction', () => {
    expect(formatTarget({ on: 'ratio', op: '<=', limit: 2 }, 'ns')).toBe('≤ 2.00x');
    expect(formatTarget({ on: 'value', op: '<=', limit: 1 }, 'percent')).toBe('≤ 1.00 %');
    expect(formatTarget({ on: 'ratio', op: '>=', limit: 50 }, 'per-second')).toBe('≥ 50.0x');
  });

  it('prints aligned columns and a markdown table with a row per figure', () => {
    const text = textTable([costFigure]).split('\n');
    expect(text[0]).toMatch(/^#\s+figure\s+value\s+baseline\s+ratio\s+target\s+verdict$/);
    expect(text[2]).toMatch(
      /^1\s+call path, AsyncLogger\s+300 ns\s+floor: 1\.50 µs\s+0\.200x\s+≤ 2\.00x\s+met$/,
    );
    // Every column starts where its header does.
    expect(text[2]!.indexOf('300 ns')).toBe(text[0]!.indexOf('value'));
    const markdown = markdownTable([{ ...costFigure, label: 'a | b' }])
      .trim()
      .split('\n');
    expect(markdown).toHaveLength(3);
    expect(markdown[1]).toBe('| --- | --- | --- | --- | --- | --- | --- |');
    expect(markdown[2]).toBe('| 1 | a \\| b | 300 ns | floor: 1.50 µs | 0.200x | ≤ 2.00x | met |');
  });
});
