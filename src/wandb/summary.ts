/**
 * The run summary W&B shows in its runs table: the last value of every key by default, or the
 * aggregates configured for a key (`{"min": ..., "max": ...}`, as W&B's `define_metric(summary=)`
 * makes them). NaN takes no part in min, max and mean.
 */

export type SummaryAggregate = 'min' | 'max' | 'mean' | 'last';

interface Stats {
  min: number;
  max: number;
  sum: number;
  count: number;
  last: unknown;
}

export class RunSummary {
  private readonly plain = new Map<string, unknown>();
  private readonly stats = new Map<string, Stats>();
  private updates = 0;

  /** Whether any key has aggregates (most runs: none, and a row is then only map writes). */
  private readonly aggregated: boolean;

  /** @param aggregates per metric key, the aggregates its summary holds instead of the last value. */
  constructor(private readonly aggregates: Readonly<Record<string, readonly SummaryAggregate[]>>) {
    this.aggregated = Object.keys(aggregates).length > 0;
  }

  /** Grows with every change: who writes the summary remembers the version it wrote. */
  get version(): number {
    return this.updates;
  }

  /** Folds one committed history row (its `_step`, `_runtime`, `_timestamp` included) in. */
  addRow(row: Readonly<Record<string, unknown>>): void {
    this.set(row);
  }

  /** Sets final values directly (the metrics given with the hyperparameters). */
  set(values: Readonly<Record<string, unknown>>): void {
    for (const key in values) this.add(key, values[key]);
  }

  /** The whole summary (W&B's `wandb-summary.json`). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = Object.fromEntries(this.plain);
    for (const [key, stats] of this.stats) {
      const entry: Record<string, unknown> = {};
      for (const aggregate of this.aggregates[key] ?? []) {
        if (aggregate === 'last') entry.last = stats.last;
        else if (stats.count > 0)
          entry[aggregate] = aggregate === 'mean' ? stats.sum / stats.count : stats[aggregate];
      }
      out[key] = entry;
    }
    return out;
  }

  private add(key: string, value: unknown): void {
    this.updates += 1;
    if (!this.aggregated || !this.aggregates[key]?.length) {
      this.plain.set(key, value);
      return;
    }
    let stats = this.stats.get(key);
    if (!stats) {
      stats = { min: Infinity, max: -Infinity, sum: 0, count: 0, last: value };
      this.stats.set(key, stats);
    }
    stats.last = value;
    if (typeof value === 'number' && !Number.isNaN(value)) {
      stats.min = Math.min(stats.min, value);
      stats.max = Math.max(stats.max, value);
      stats.sum += value;
      stats.count++;
    }
  }
}
