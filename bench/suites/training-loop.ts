/**
 * (5) A synthetic training loop doing 1 ms of work per step, all backends on: the share of the
 * main thread's time spent logging, for the configurations a README could recommend.
 *
 * A run is the loop and the final flush, so everything the logging caused is counted (encoding,
 * writing, exporting). Its main-thread time is the event loop's active time
 * (`performance.eventLoopUtilization`): waiting for a receiver's answer is not main-thread time.
 * Its overhead is that minus the time its work took: when another process takes the CPU in the
 * middle of a step's work, the work takes longer, not the overhead. The share is (overhead with
 * logging - overhead of the same loop without a logger, run in the same round) / main-thread
 * time with logging. The process's CPU time is kept in the JSON results too.
 */
import { ALL_BACKENDS, createBenchLogger } from '../loggers.js';
import type { Figure } from '../report.js';
import { median } from '../stats.js';
import { collectGarbage, repeatInterleaved, type Trial } from '../timing.js';
import { trainingLoop, Work } from '../training-loop.js';
import type { SuiteContext, SuiteResult } from './suite.js';

const WORK_MS = 1;

interface LoopTime {
  /** The event loop's active time over the run. */
  readonly activeMs: number;
  /** Wall time the loop's work took. */
  readonly workMs: number;
  /** CPU time of the process over the run (user and system, all threads). */
  readonly cpuMs: number;
}

interface Candidate {
  readonly name: string;
  readonly label: string;
  /** Steps between rows. */
  readonly every: number;
  readonly async: boolean;
  /** The most of the main thread's time logging may take, in percent. Default 1. */
  readonly limit?: number;
}

/**
 * The configuration BENCHMARKS.md recommends: the seed's practice, a row every 10 steps, through
 * an AsyncLogger with its defaults (the figures of the others are why).
 */
export const RECOMMENDED = 'every-10:async';

const CANDIDATES: readonly Candidate[] = [
  { name: 'every-1', label: 'a row every step, sync', every: 1, async: false },
  { name: 'every-10', label: 'a row every 10 steps, sync', every: 10, async: false },
  { name: RECOMMENDED, label: 'a row every 10 steps, AsyncLogger', every: 10, async: true },
  // Its backends in its worker, a row every step costs the step little: at most 0.5 %.
  {
    name: 'every-1:async',
    label: 'a row every step, AsyncLogger',
    every: 1,
    async: true,
    limit: 0.5,
  },
];

export async function trainingLoopSuite(context: SuiteContext): Promise<SuiteResult> {
  // Ten seconds a run: OTLP's metric export (every 10 s) and log batches (every second), the
  // TensorBoard flush (every 5 s) and AsyncLogger's hand-overs (every 1000 rows) all take place.
  const steps = context.quick ? 2_000 : 10_000;
  const work = Work.calibrated(WORK_MS);
  const warnings: string[] = [];
  /** A run's times, in ms. */
  const run = async (warmUp: boolean, candidate?: Candidate): Promise<LoopTime> => {
    const made = candidate
      ? createBenchLogger(ALL_BACKENDS, context.places, { async: candidate.async })
      : undefined;
    const logger = made?.logger;
    const activeStart = performance.eventLoopUtilization();
    const cpuStart = process.cpuUsage();
    // The warm-up logs every step, so that the code runs optimized as in a long run.
    const worked = await trainingLoop({
      steps: warmUp ? Math.min(steps, 2_000) : steps,
      work,
      logger,
      every: warmUp ? 1 : (candidate?.every ?? 1),
    });
    await logger?.flush();
    const cpu = process.cpuUsage(cpuStart);
    const { active } = performance.eventLoopUtilization(activeStart);
    await logger?.finish();
    if (made) {
      warnings.push(...made.diagnostics.at('WARNING'), ...made.diagnostics.at('ERROR'));
      const dropped = made.dropped();
      if (dropped > 0)
        warnings.push(`training loop: ${candidate?.name} dropped or lost ${dropped} rows`);
    }
    return { activeMs: active, workMs: worked, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  const trials: Trial<LoopTime>[] = [
    { name: 'no logging', run: (warmUp) => run(warmUp) },
    ...CANDIDATES.map((c) => ({ name: c.name, run: (warmUp: boolean) => run(warmUp, c) })),
  ];
  const results = await repeatInterleaved(trials, {
    repeats: context.repeats,
    before: collectGarbage,
    progress: (name, round) => context.log(`training loop: ${name} (round ${round})`),
  });
  const baseline = results.get('no logging')!;
  const figures: Figure[] = CANDIDATES.map((c) => {
    const times = results.get(c.name)!;
    // Each round's share against the same round's loop without logging.
    const overhead = (t: LoopTime) => t.activeMs - t.workMs;
    const shares = times.map(
      (t, round) => ((overhead(t) - overhead(baseline[round]!)) / t.activeMs) * 100,
    );
    return {
      section: 5,
      id: `training-loop.${c.name}`,
      label: `time spent logging, ${c.label}${c.name === RECOMMENDED ? ' (recommended)' : ''}`,
      value: median(shares),
      unit: 'percent',
      runs: shares,
      target: { on: 'value', op: '<=', limit: c.limit ?? 1 },
    };
  });
  return {
    figures,
    warnings,
    details: {
      steps,
      workMs: WORK_MS,
      matrixProductsPerStep: work.products,
      baseline: baseline,
      runs: Object.fromEntries(CANDIDATES.map((c) => [c.name, results.get(c.name)])),
    },
  };
}
