import type { Metrics } from './base-logger.js';

/** What a middleware returns: the (possibly changed) row, or `null` to drop the row. */
export type MiddlewareResult = readonly [Metrics, number | undefined] | null | undefined;

/**
 * Sees every row before a logger writes it (the Python API's `LoggerMiddleware`). `processMetrics`
 * returns `[metrics, step]`, possibly changed, or `null` to drop the row.
 */
export abstract class LoggerMiddleware {
  abstract processMetrics(metrics: Metrics, step?: number): MiddlewareResult;
}

/** Runs `chain` in order; `null` as soon as one middleware drops the row. */
export function applyMiddleware(
  chain: readonly LoggerMiddleware[],
  metrics: Metrics,
  step: number | undefined,
): readonly [Metrics, number | undefined] | null {
  let row: readonly [Metrics, number | undefined] = [metrics, step];
  for (const middleware of chain) {
    const next = middleware.processMetrics(row[0], row[1]);
    if (!next) return null;
    row = next;
  }
  return row;
}
