/** Pure statistics of repeated measurements. */

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The spread of `values` around their median, as (max - min) / median. */
export function relativeSpread(values: readonly number[]): number {
  const mid = median(values);
  return mid === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / mid;
}

/** Repeated measurements and their median. */
export interface Sample {
  readonly median: number;
  readonly runs: readonly number[];
}

export function sampleOf(runs: readonly number[]): Sample {
  return { median: median(runs), runs: [...runs] };
}
