/**
 * W&B history rows from training events. Steps only move forward: values logged at the step of
 * the open row merge into it (several calls at one step make one row, as in W&B), a higher step
 * commits the open row and opens the next, and a lower step is dropped (W&B ignores it too).
 * Every committed row carries `_step`, `_runtime` and `_timestamp`, which W&B's own writer adds
 * and `wandb sync` does not.
 */

/** One committed row: the logged values plus `_step`, `_runtime` (s) and `_timestamp` (unix s). */
export type HistoryRow = Readonly<Record<string, unknown>> & {
  readonly _step: number;
  readonly _runtime: number;
  readonly _timestamp: number;
};

/** Decides the value of a key logged twice at one step; the later value wins by default. */
export type Combine = (previous: unknown, next: unknown) => unknown;

/** What `add` did with the values. */
export type AddResult =
  /** Merged into the open row, or opened a row. `committed` is the row it closed, if any. */
  | { readonly accepted: true; readonly committed?: HistoryRow }
  /** Dropped: the step is below the current one. */
  | { readonly accepted: false; readonly currentStep: number };

interface OpenRow {
  readonly step: number;
  timeMs: number;
  readonly values: Record<string, unknown>;
}

export class HistoryRows {
  private open: OpenRow | undefined;
  /** The lowest step a new row may have once no row is open. */
  private minimumStep = 0;

  /** @param startTimeMs the run's start (unix ms): `_runtime` counts from here. */
  constructor(private readonly startTimeMs: number) {}

  /** The step of the open row, else the lowest step the next row may have. */
  get currentStep(): number {
    return this.open?.step ?? this.minimumStep;
  }

  add(
    step: number,
    timeMs: number,
    values: Readonly<Record<string, unknown>>,
    combine?: Combine,
  ): AddResult {
    if (step < this.currentStep) return { accepted: false, currentStep: this.currentStep };
    let committed: HistoryRow | undefined;
    if (this.open && step > this.open.step) committed = this.commit();
    this.open ??= { step, timeMs, values: {} };
    this.open.timeMs = Math.max(this.open.timeMs, timeMs);
    const merged = this.open.values;
    for (const key in values) {
      const value = values[key];
      const previous = combine ? merged[key] : undefined;
      merged[key] = previous !== undefined ? combine!(previous, value) : value;
    }
    return { accepted: true, committed };
  }

  /** Closes the open row, if any, and returns it. */
  commit(): HistoryRow | undefined {
    const row = this.open;
    if (!row) return undefined;
    this.open = undefined;
    this.minimumStep = row.step + 1;
    // The row's values become the committed row (no copy: this is the hot path of every row).
    const values = row.values;
    values._step = row.step;
    values._runtime = Math.max(0, (row.timeMs - this.startTimeMs) / 1000);
    values._timestamp = row.timeMs / 1000;
    return values as HistoryRow;
  }
}
