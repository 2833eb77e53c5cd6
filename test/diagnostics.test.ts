import { afterEach, describe, expect, it, vi } from 'vitest';
import { CollectingDiagnostics, OnceWarner } from '../src/diagnostics.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('OnceWarner', () => {
  it('warns once per key, shows a few keys of a kind, then counts the rest per interval and at the end', () => {
    vi.useFakeTimers();
    const diagnostics = new CollectingDiagnostics();
    const warner = new OnceWarner(diagnostics, 2, 1000);
    for (let round = 0; round < 3; round++) warner.warn('value:a', 'a is bad');
    warner.warn('value:b', 'b is bad');
    for (let i = 0; i < 10; i++) warner.warn(`value:k${i}`, `k${i} is bad`);
    warner.warn('step:x', 'x is bad');
    expect(diagnostics.at('WARNING')).toEqual([
      'a is bad',
      'b is bad (more warnings like this are counted, not shown)',
      'x is bad',
    ]);
    // A minute later, the next held-back warning brings the count so far.
    vi.advanceTimersByTime(1000);
    warner.warn('value:late', 'late is bad');
    expect(diagnostics.at('WARNING').at(-1)).toBe(
      "11 of kind 'value': more warnings like those above, not shown",
    );
    warner.warn('value:later', 'later is bad');
    warner.summary();
    expect(diagnostics.at('WARNING').at(-1)).toBe(
      "1 of kind 'value': more warnings like those above, not shown",
    );
    // Nothing held: no line.
    warner.summary();
    expect(diagnostics.at('WARNING')).toHaveLength(5);
  });
});
