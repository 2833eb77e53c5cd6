import { describe, expect, it } from 'vitest';
import { closestMatch } from '../../src/config/suggest.js';

describe('closestMatch', () => {
  it('suggests the known key a typo is near', () => {
    expect(closestMatch('log_frequncy', ['level', 'log_frequency'])).toBe('log_frequency');
    expect(closestMatch('colour', ['level', 'log_frequency'])).toBeUndefined();
  });

  it('spends no time on a key far longer than any candidate (a hostile config)', () => {
    const start = performance.now();
    expect(closestMatch('x'.repeat(10_000_000), ['level', 'log_frequency'])).toBeUndefined();
    // Comparing would fill a table of 10^7 x 14 cells per candidate: seconds, and a GB.
    expect(performance.now() - start).toBeLessThan(500);
  });
});
