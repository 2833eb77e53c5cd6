import { describe, expect, it } from 'vitest';
import { addPrefix, flattenMetrics, formatMetrics } from '../../src/loggers/utils.js';

describe('seed: Logging Utilities / Metric Formatting', () => {
  it('formatMetrics({loss: 0.123456}, precision 4) gives {loss: "0.1235"}', () => {
    expect(formatMetrics({ loss: 0.123456 }, 4)).toEqual({ loss: '0.1235' });
  });

  it("addPrefix({loss: 0.5, acc: 0.9}, 'train') gives {'train/loss': 0.5, 'train/acc': 0.9}", () => {
    expect(addPrefix({ loss: 0.5, acc: 0.9 }, 'train')).toEqual({
      'train/loss': 0.5,
      'train/acc': 0.9,
    });
  });
});

describe('formatMetrics', () => {
  it('defaults to 4 digits, keeps integers whole and shows non-numbers as text', () => {
    expect(formatMetrics({ a: 1 / 3, epoch: 3, name: 'x', nan: Number.NaN })).toEqual({
      a: '0.3333',
      epoch: '3',
      name: 'x',
      nan: 'NaN',
    });
  });
});

describe('flattenMetrics', () => {
  it('joins nested keys with / and leaves arrays as leaves', () => {
    expect(flattenMetrics({ train: { loss: 0.5, inner: { acc: 0.9 } }, hist: [1, 2] })).toEqual({
      'train/loss': 0.5,
      'train/inner/acc': 0.9,
      hist: [1, 2],
    });
  });

  it('takes a parent key and a separator', () => {
    expect(flattenMetrics({ a: { b: 1 } }, 'root', '.')).toEqual({ 'root.a.b': 1 });
  });
});

describe('addPrefix', () => {
  it('leaves keys alone for an empty prefix and takes a separator', () => {
    expect(addPrefix({ loss: 1 }, '')).toEqual({ loss: 1 });
    expect(addPrefix({ loss: 1 }, 'val', '_')).toEqual({ val_loss: 1 });
  });
});
