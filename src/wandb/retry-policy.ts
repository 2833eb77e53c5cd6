/**
 * When to retry a W&B request and how long to wait first, as W&B's own clients do: 429 and other
 * failures are retried with exponential backoff (2^n * base, 25% jitter, capped), a server's
 * `Retry-After` wins over the backoff, and answers that cannot improve by waiting are not
 * retried.
 */

/** The first backoff delay before jitter, in ms (W&B's). */
export const BASE_DELAY_MS = 2000;
/** No backoff delay exceeds this, in ms (a `Retry-After` may). */
export const MAX_DELAY_MS = 60_000;

/** Statuses that waiting cannot fix. 409 is retried for UpsertBucket only (see `isRetryable`). */
const NOT_RETRIED = new Set([400, 401, 403, 404, 409, 410, 413, 422, 501]);

/**
 * True when a request that got `status` should be sent again. `status` undefined means no answer
 * (a reset connection, a timeout): retried.
 */
export function isRetryable(
  status: number | undefined,
  options: { retry409?: boolean } = {},
): boolean {
  if (status === undefined) return true;
  if (status === 409) return options.retry409 ?? false;
  if (status < 400) return false;
  return !NOT_RETRIED.has(status);
}

/**
 * The wait before retry number `attempt` (1 for the first retry), in ms: `Retry-After` when the
 * server sent one, else 2^(attempt-1) * base with +-25% jitter, capped at the maximum.
 * `random` is a number in [0, 1).
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  random: number = Math.random(),
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const exponential = BASE_DELAY_MS * 2 ** Math.min(attempt - 1, 30);
  return Math.min(MAX_DELAY_MS, exponential * (0.75 + 0.5 * random));
}

/**
 * A `Retry-After` header in ms: delta-seconds or an HTTP date (relative to `nowMs`); undefined
 * when absent or unreadable. A date in the past means now.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
