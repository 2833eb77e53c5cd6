/**
 * A synthetic training loop: each step does about 1 ms of work (dense float math on the main
 * thread, as a forward and backward pass through tfjs's CPU backend does: products of 48x48
 * matrices, as many as take 1 ms on this machine), logs a row every `every` steps, and lets the
 * event loop turn once (as awaiting the next batch from a data loader does). Shared by the
 * training-loop suite (5) and the memory outage run (4).
 *
 * The work is real computation, not a wait on the clock: a loop polling `performance.now()` is a
 * stream of system calls that leaves the CPU's caches and TLB cold for whatever runs next, which
 * made a logging call cost several times what it costs after ordinary work.
 */
import type { Logging } from './loggers.js';
import { row } from './loggers.js';
import { nextTurn } from './timing.js';

export interface LoopOptions {
  readonly steps: number;
  /** The work of one step. */
  readonly work: Work;
  /** The logger, or none for the loop without logging (the baseline). */
  readonly logger?: Logging;
  /** Steps between logged rows (the seed's `log_frequency`). */
  readonly every: number;
  /** Called after every step (memory sampling). */
  readonly afterStep?: (step: number) => void;
  /** Step number of the first step. Default 0. */
  readonly firstStep?: number;
}

/**
 * Runs the loop; resolves when its last step is done (the logger is not flushed) with the time
 * the work took, in ms. The work can take longer than asked when the process is preempted in
 * the middle of it: what is not work is then measured alike with and without logging.
 */
export async function trainingLoop(options: LoopOptions): Promise<number> {
  const { steps, work, logger, every } = options;
  const first = options.firstStep ?? 0;
  let worked = 0;
  for (let step = first; step < first + steps; step++) {
    const start = performance.now();
    work.step();
    worked += performance.now() - start;
    if (logger && step % every === 0) logger.logMetrics(row(step), step);
    options.afterStep?.(step);
    await nextTurn();
  }
  return worked;
}

const SIZE = 48;

/** A step's work: `products` products of two 48x48 matrices. */
export class Work {
  private readonly a = Float64Array.from({ length: SIZE * SIZE }, (_, i) => (i % 7) / 7);
  private readonly b = Float64Array.from({ length: SIZE * SIZE }, (_, i) => (i % 5) / 5);
  private readonly c = new Float64Array(SIZE * SIZE);

  private constructor(readonly products: number) {}

  /** The work that takes about `ms` milliseconds here (measured after a warm-up). */
  static calibrated(ms: number): Work {
    const probe = new Work(1);
    for (let i = 0; i < 200; i++) probe.step();
    const start = performance.now();
    for (let i = 0; i < 1000; i++) probe.step();
    const perProduct = (performance.now() - start) / 1000;
    return new Work(Math.max(1, Math.round(ms / perProduct)));
  }

  step(): void {
    const { a, b, c } = this;
    for (let n = 0; n < this.products; n++) {
      c.fill(0);
      for (let i = 0; i < SIZE; i++) {
        for (let k = 0; k < SIZE; k++) {
          const aik = a[i * SIZE + k]!;
          const row = i * SIZE;
          const column = k * SIZE;
          for (let j = 0; j < SIZE; j++) c[row + j] = c[row + j]! + aik * b[column + j]!;
        }
      }
    }
  }
}
