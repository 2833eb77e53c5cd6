/**
 * Timing on the main thread. Node runs exporters on the calling thread too, later (on
 * `setImmediate` and timers), so a logging call has two costs: the call path (time inside the
 * calls) and the total (the calls plus the deferred work they cause). `timeRows` measures both.
 */
import { type Sample, sampleOf } from './stats.js';

/** One turn of the event loop: deferred work (immediates, due timers, I/O callbacks) runs. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface RowTiming {
  /** Nanoseconds inside the calls, per row. */
  readonly callNs: number;
  /** Nanoseconds of the whole loop and the final flush, per row (wall time). */
  readonly totalNs: number;
}

export interface TimeRowsOptions {
  readonly rows: number;
  /** Calls timed together; the event loop turns between batches, outside the timed region. */
  readonly batch: number;
  /** Makes call number `i`. */
  readonly call: (i: number) => void;
  /** Waits until everything the calls caused is done (a flush); part of the total. */
  readonly flush: () => Promise<void>;
}

export async function timeRows(options: TimeRowsOptions): Promise<RowTiming> {
  const { rows, batch, call, flush } = options;
  let inside = 0n;
  const start = process.hrtime.bigint();
  for (let done = 0; done < rows; done += batch) {
    const end = Math.min(rows, done + batch);
    const t0 = process.hrtime.bigint();
    for (let i = done; i < end; i++) call(i);
    inside += process.hrtime.bigint() - t0;
    await nextTurn();
  }
  await flush();
  const total = process.hrtime.bigint() - start;
  return { callNs: Number(inside) / rows, totalNs: Number(total) / rows };
}

/** Milliseconds `work` takes (wall time). */
export async function timeMs(work: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A named measurement to repeat. */
export interface Trial<T> {
  readonly name: string;
  readonly run: (warmUp: boolean) => Promise<T>;
}

export interface RepeatOptions {
  readonly repeats: number;
  /** Called before every run (a garbage collection, so runs start alike). */
  readonly before?: () => void;
  /** Told about each run as it ends. */
  readonly progress?: (name: string, round: number) => void;
}

/**
 * Runs every trial once to warm up (discarded), then `repeats` rounds in which each trial runs
 * once, interleaved, so that a machine getting busier or quieter affects them all alike.
 */
export async function repeatInterleaved<T>(
  trials: readonly Trial<T>[],
  options: RepeatOptions,
): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(trials.map((trial) => [trial.name, []]));
  for (const trial of trials) {
    options.before?.();
    await trial.run(true);
  }
  for (let round = 1; round <= options.repeats; round++) {
    for (const trial of trials) {
      options.before?.();
      results.get(trial.name)!.push(await trial.run(false));
      options.progress?.(trial.name, round);
    }
  }
  return results;
}

/** The medians of one field of repeated results. */
export function sampleField<T>(results: readonly T[], field: (result: T) => number): Sample {
  return sampleOf(results.map(field));
}

/** A full garbage collection when the process runs with `--expose-gc`. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
