import { isPlainObject } from '../values.js';

/** A row of metrics as users pass it: numbers at the leaves, possibly nested. */
export type MetricValue = number | boolean | bigint | string | null | undefined | MetricTree;
export interface MetricTree {
  [key: string]: MetricValue | readonly unknown[];
}

/**
 * Formats numbers for display with `precision` digits after the point (the Python API's
 * `format_metrics`): `formatMetrics({loss: 0.123456}, 4)` is `{loss: '0.1235'}`. Integers keep
 * their integer form (`{epoch: '3'}`); anything else is shown with `String`.
 */
export function formatMetrics(
  metrics: Readonly<Record<string, unknown>>,
  precision = 4,
): Record<string, string> {
  const formatted: Record<string, string> = {};
  for (const [key, value] of Object.entries(metrics)) {
    formatted[key] =
      typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
        ? value.toFixed(precision)
        : String(value);
  }
  return formatted;
}

/**
 * Flattens nested objects into one level, joining keys with `separator` (the Python API's
 * `flatten_metrics`): `{train: {loss: 0.5}}` becomes `{'train/loss': 0.5}`. Arrays and other
 * non-plain values are leaves.
 */
export function flattenMetrics(
  metrics: Readonly<Record<string, unknown>>,
  parentKey = '',
  separator = '/',
): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metrics)) {
    const fullKey = parentKey ? `${parentKey}${separator}${key}` : key;
    if (isPlainObject(value)) {
      Object.assign(flat, flattenMetrics(value, fullKey, separator));
    } else {
      flat[fullKey] = value;
    }
  }
  return flat;
}

/**
 * Prefixes every key (the Python API's `add_prefix`): `addPrefix({loss: 0.5, acc: 0.9}, 'train')`
 * is
 * `{'train/loss': 0.5, 'train/acc': 0.9}`. An empty prefix leaves the keys as they are.
 */
export function addPrefix<T>(
  metrics: Readonly<Record<string, T>>,
  prefix: string,
  separator = '/',
): Record<string, T> {
  if (!prefix) return { ...metrics };
  const prefixed: Record<string, T> = {};
  for (const [key, value] of Object.entries(metrics)) {
    prefixed[`${prefix}${separator}${key}`] = value;
  }
  return prefixed;
}
