/**
 * The pure part of `npm run bench -- --baseline`: the two builds' turns, how their figures are
 * merged and paired, and the verdict on each. (Building a ref is git and tsc; timings are no test.)
 */
import { describe, expect, it } from 'vitest';
import { compareBuilds, comparisonTable, type RefBuild, type Suite } from '../../bench/baseline.js';
import type { Figure } from '../../bench/report.js';
import type { SuiteContext } from '../../bench/suites/suite.js';

/** A suite that records its turn and returns the next of `results` (each a figure list). */
function scripted(name: string, turns: string[], results: Figure[][]): Suite {
  return async () => {
    turns.push(name);
    return { figures: results.shift()!, warnings: [`${name} warned`] };
  };
}

function callFigure(runs: number[], floor: number): Figure {
  const baseline = { label: 'floor', value: floor };
  return { section: 1, id: 'call', label: 'call', value: 0, runs, unit: 'ns', baseline };
}

function rateFigure(runs: number[]): Figure {
  return { section: 1, id: 'rate', label: 'rate', value: 0, runs, unit: 'per-second' };
}
const context = { log: () => {} } as unknown as SuiteContext;

function build(suite: Suite): RefBuild {
  return { ref: 'old', commit: 'c0ffee00c0ffee00', suites: { 1: suite }, dispose: () => {} };
}

describe('compareBuilds', () => {
  it('runs the builds A B B A and judges each figure on its ratio to the floor where it has one', async () => {
    const turns: string[] = [];
    // Each turn: a call time over a floor, and a rate with none.
    const current = scripted('current', turns, [
      [callFigure([10, 12], 5), rateFigure([90])],
      [callFigure([14], 7), rateFigure([90])],
    ]);
    const old = scripted('old', turns, [
      [callFigure([6, 6], 3), rateFigure([100])],
      [callFigure([6], 3), rateFigure([100])],
    ]);
    const run = await compareBuilds([1], { 1: current }, build(old), context);
    expect(turns).toEqual(['current', 'old', 'old', 'current']);
    // This build's figures: medians over every run of both its turns.
    expect(run.figures.map((f) => [f.id, f.value, f.runs])).toEqual([
      ['call', 12, [10, 12, 14]],
      ['rate', 90, [90, 90]],
    ]);
    const [call, rate] = run.comparisons;
    // 12 ns against 6 ns is twice as slow, but the floor went from 3 to 6 ns as well.
    expect(call).toMatchObject({ current: 12, baseline: 6, ratio: 2, floorRatio: 1, within: true });
    // A rate 10 % lower is 11 % worse: past the tolerance.
    expect(rate).toMatchObject({ ratio: 0.9, within: false });
    expect(rate!.floorRatio).toBeUndefined();
    expect(run.warnings).toEqual([
      '(1, current) current warned',
      '(1, baseline) old warned',
      '(1, baseline) old warned',
      '(1, current) current warned',
    ]);
    const table = comparisonTable(run, build(old));
    expect(table).toContain('old (c0ffee00)');
    expect(table).toMatch(/rate .*WORSE/);
    expect(table).toContain('1 of 2 figures within 10 % of old');
  });
});
