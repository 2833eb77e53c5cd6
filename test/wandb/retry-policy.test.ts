import { describe, expect, it } from 'vitest';
import { isRetryable, parseRetryAfter, retryDelayMs } from '../../src/wandb/retry-policy.js';

describe('retry policy (W&B facts: retry 429 and 5xx, never 400/401/403/404)', () => {
  it('retries 429, 5xx and no-answer, but not the client errors W&B never retries', () => {
    for (const status of [429, 500, 502, 503, 504, 408, undefined]) {
      expect(isRetryable(status), String(status)).toBe(true);
    }
    for (const status of [400, 401, 403, 404, 409, 410, 413, 422, 501, 200, 204]) {
      expect(isRetryable(status), String(status)).toBe(false);
    }
    expect(isRetryable(409, { retry409: true })).toBe(true);
  });

  it('backs off 2^n * 2 s within 25% jitter, capped at 60 s', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const nominal = 2000 * 2 ** (attempt - 1);
      const low = retryDelayMs(attempt, undefined, 0);
      const high = retryDelayMs(attempt, undefined, 0.999999);
      expect(low).toBeCloseTo(Math.min(60_000, nominal * 0.75), 3);
      expect(high).toBeCloseTo(Math.min(60_000, nominal * 1.25), 0);
    }
    expect(retryDelayMs(50, undefined)).toBeLessThanOrEqual(60_000);
  });

  it("honours the server's Retry-After over the backoff, even beyond the cap", () => {
    expect(retryDelayMs(1, 7000)).toBe(7000);
    expect(retryDelayMs(9, 120_000)).toBe(120_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 0.5 ')).toBe(500);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
