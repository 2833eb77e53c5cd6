/**
 * (7) What system metrics (on by default with W&B) cost a training loop. `logMetrics` does
 * nothing more with them on, so their whole cost is the sampling timer's: a sample's main-thread
 * time (the event loop's active time while sampling every 20 ms, less the same time idle, per
 * sample) spread over `system_metrics_interval`. A loop A/B at the default 15 s interval would
 * hold no sample in a ten-second run, and at one sample a second the difference is far inside the
 * loop figures' noise on a shared machine: timing the samples themselves is what resolves 0.1 %.
 */
import { DEFAULT_SYSTEM_METRICS_INTERVAL_S } from '../../src/config/schema.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { RunMeters } from '../../src/telemetry/instruments.js';
import { SystemMetrics } from '../../src/telemetry/system-metrics.js';
import type { Figure } from '../report.js';
import { median } from '../stats.js';
import { collectGarbage, repeatInterleaved } from '../timing.js';
import type { SuiteContext, SuiteResult } from './suite.js';

const SAMPLE_EVERY_MS = 20;

interface Measured {
  /** Event-loop active time over the run, in ms. */
  readonly activeMs: number;
  readonly samples: number;
}

export async function systemMetricsSuite(context: SuiteContext): Promise<SuiteResult> {
  const durationMs = context.quick ? 1_000 : 4_000;
  const run = async (sampling: boolean): Promise<Measured> => {
    let samples = 0;
    const start = performance.eventLoopUtilization();
    const sampler = sampling
      ? new SystemMetrics({
          meters: new RunMeters(),
          emit: () => samples++,
          intervalMs: SAMPLE_EVERY_MS,
          diagnostics: new CollectingDiagnostics(),
        })
      : undefined;
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    sampler?.stop();
    return { activeMs: performance.eventLoopUtilization(start).active, samples };
  };
  const results = await repeatInterleaved(
    [
      { name: 'idle', run: () => run(false) },
      { name: 'sampling', run: () => run(true) },
    ],
    {
      repeats: context.repeats,
      before: collectGarbage,
      progress: (name, round) => context.log(`system metrics: ${name} (round ${round})`),
    },
  );
  const idle = results.get('idle')!;
  const perSampleMs = results
    .get('sampling')!
    .map((t, round) => (t.activeMs - idle[round]!.activeMs) / t.samples);
  const shares = perSampleMs.map((ms) => (ms / (DEFAULT_SYSTEM_METRICS_INTERVAL_S * 1000)) * 100);
  const figures: Figure[] = [
    {
      section: 7,
      id: 'system-metrics.sample',
      label: 'main-thread time of one system-metrics sample',
      value: median(perSampleMs) * 1e6,
      unit: 'ns',
      runs: perSampleMs.map((ms) => ms * 1e6),
    },
    {
      section: 7,
      id: 'system-metrics.share',
      label: `time spent on system metrics, one sample every ${DEFAULT_SYSTEM_METRICS_INTERVAL_S} s (the default)`,
      value: median(shares),
      unit: 'percent',
      runs: shares,
      target: { on: 'value', op: '<=', limit: 0.1 },
    },
  ];
  return { figures, warnings: [], details: { durationMs, sampleEveryMs: SAMPLE_EVERY_MS, idle } };
}
