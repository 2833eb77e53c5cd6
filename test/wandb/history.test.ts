import { describe, expect, it } from 'vitest';
import { HistoryRows } from '../../src/wandb/history.js';
import { RunSummary } from '../../src/wandb/summary.js';
import { wandbJson } from '../../src/wandb/wandb-json.js';

const start = Date.UTC(2026, 0, 1);

describe('HistoryRows (W&B history semantics)', () => {
  it('merges writes at one step into one row with _step, _runtime and _timestamp', () => {
    const rows = new HistoryRows(start);
    expect(rows.add(3, start + 1500, { loss: 0.5 })).toEqual({
      accepted: true,
      committed: undefined,
    });
    expect(rows.add(3, start + 2500, { acc: 0.9, loss: 0.4 }).accepted).toBe(true);
    const result = rows.add(4, start + 4000, { loss: 0.3 });
    expect(result).toEqual({
      accepted: true,
      committed: {
        loss: 0.4,
        acc: 0.9,
        _step: 3,
        _runtime: 2.5,
        _timestamp: (start + 2500) / 1000,
      },
    });
    expect(rows.commit()).toEqual({
      loss: 0.3,
      _step: 4,
      _runtime: 4,
      _timestamp: (start + 4000) / 1000,
    });
    expect(rows.commit()).toBeUndefined();
  });

  it('drops a step below the current one, also after the last row was committed', () => {
    const rows = new HistoryRows(start);
    rows.add(10, start, { a: 1 });
    expect(rows.add(9, start, { a: 2 })).toEqual({ accepted: false, currentStep: 10 });
    rows.commit();
    expect(rows.currentStep).toBe(11);
    expect(rows.add(10, start, { a: 3 })).toEqual({ accepted: false, currentStep: 11 });
    expect(rows.add(11, start, { a: 4 }).accepted).toBe(true);
  });

  it('lets a combine function decide a key written twice at one step', () => {
    const rows = new HistoryRows(start);
    const concat = (previous: unknown, next: unknown) => `${previous}+${next}`;
    rows.add(0, start, { img: 'a' }, concat);
    rows.add(0, start, { img: 'b' }, concat);
    expect(rows.commit()?.img).toBe('a+b');
  });
});

describe('RunSummary', () => {
  it('keeps the last value by default and the configured aggregates where asked', () => {
    const summary = new RunSummary({ loss: ['min', 'max', 'mean', 'last'], acc: ['max'] });
    const v0 = summary.version;
    summary.addRow({ loss: 3, acc: 0.5, lr: 0.1, _step: 0 });
    summary.addRow({ loss: Number.NaN, acc: 0.7, lr: 0.05, _step: 1 });
    summary.addRow({ loss: 1, acc: 0.6, _step: 2 });
    summary.set({ 'hp/metric': 0.25 });
    expect(summary.version).toBeGreaterThan(v0);
    const json = summary.toJSON();
    expect(json).toMatchObject({ lr: 0.05, _step: 2, 'hp/metric': 0.25, acc: { max: 0.7 } });
    expect(json.loss).toEqual({ min: 1, max: 3, mean: 2, last: 1 });
  });
});

describe('wandbJson', () => {
  it('writes NaN and the infinities as the bare tokens W&B uses', () => {
    expect(wandbJson({ a: Number.NaN, b: [Infinity, -Infinity], c: 'NaN', d: { e: 1e-4 } })).toBe(
      '{"a":NaN,"b":[Infinity,-Infinity],"c":"NaN","d":{"e":0.0001}}',
    );
  });
});
