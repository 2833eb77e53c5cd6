/**
 * (8) Many ranks through the Collector (docs/collector.md, "Many ranks"; issue 17's must-shows):
 * the load test of bench/scale/load-test.ts with real processes.
 *   a. 32 ranks x 300 rows/s for 60 s through collector/single.yaml: every row once, the
 *      Collector's peak RSS, CPU per 1,000 rows/s of the Collector and the bridge.
 *   b. The rate stepped up (32 ranks) until a step loses a row or falls short of its rate.
 *   c. Two jobs of 8 ranks over two agents, two gateways and two bridges.
 *   d. The same with outages: gateway 0 down for 60 s, bridge 0 restarted, agent 0 restarted.
 * A rank is a Node process: 32 of them share this machine's cores with the Collector and the
 * bridge, so the load average is recorded with each run. `--quick` runs everything short.
 */

import type { Figure } from '../report.js';
import type { LoadTestOptions, LoadTestResult } from '../scale/load-test.js';
import { runLoadTest } from '../scale/load-test.js';
import type { SuiteContext, SuiteResult } from './suite.js';

const SECTION = 8;
/** A step "sustains" its rate when the ranks log at least this share of it. */
const SUSTAINED = 0.95;

export async function scaleSuite(context: SuiteContext): Promise<SuiteResult> {
  const seconds = (full: number) => (context.quick ? Math.min(full, 10) : full);
  const runs: Record<string, LoadTestResult> = {};
  const run = async (name: string, options: Omit<LoadTestOptions, 'log'>) => {
    context.log(`scale: ${name}`);
    const result = await runLoadTest({ ...options, log: (line) => context.log(`scale: ${line}`) });
    runs[name] = result;
    context.log(`scale: ${name}: ${summary(result)}`);
    return result;
  };

  const main = await run('single-32x300', {
    topology: 'single',
    jobs: 1,
    ranksPerJob: 32,
    rate: 300,
    seconds: seconds(60),
  });

  // Stepping: rows a second per rank, 32 ranks, until a step loses a row or falls short.
  const steps: LoadTestResult[] = [];
  for (const rate of context.quick ? [300, 600] : [150, 300, 450, 600, 900]) {
    const step = await run(`step-32x${rate}`, {
      topology: 'single',
      jobs: 1,
      ranksPerJob: 32,
      rate,
      seconds: seconds(30),
    });
    steps.push(step);
    if (lost(step) !== 0 || step.sentRowsPerSecond < SUSTAINED * 32 * rate) break;
  }
  const sustained = steps.filter(
    (s) =>
      lost(s) === 0 && s.sentRowsPerSecond >= SUSTAINED * s.options.ranksPerJob * s.options.rate,
  );
  const best = sustained.at(-1);

  const gateways = await run('gateways-2x8', {
    topology: 'gateways',
    jobs: 2,
    ranksPerJob: 8,
    rate: 100,
    seconds: seconds(60),
  });
  const outages = await run('gateways-2x8-outages', {
    topology: 'gateways',
    jobs: 2,
    ranksPerJob: 8,
    rate: 100,
    seconds: seconds(150),
    outages: context.quick
      ? [
          { at: 2, kind: 'gateway', seconds: 3 },
          { at: 6, kind: 'bridge' },
          { at: 8, kind: 'agent' },
        ]
      : [
          { at: 15, kind: 'gateway', seconds: 60 },
          { at: 90, kind: 'bridge' },
          { at: 115, kind: 'agent' },
        ],
  });

  const figures: Figure[] = [
    lostFigure('single-lost', '32 x 300 rows/s, single Collector: rows lost or duplicated', main),
    {
      section: SECTION,
      id: 'single-rate',
      label: '32 x 300 rows/s, single Collector: rows/s sustained',
      value: main.sentRowsPerSecond,
      unit: 'per-second',
    },
    {
      section: SECTION,
      id: 'single-collector-rss',
      label: '32 x 300 rows/s: Collector peak RSS (docs bound 400 MiB)',
      value: peakRss(main, 'collector') * 2 ** 20,
      unit: 'bytes',
      target: { on: 'value', op: '<=', limit: 400 * 2 ** 20 },
    },
    cpuFigure('single-collector-cpu', 'Collector', main, 'collector'),
    cpuFigure('single-bridge-cpu', 'bridge', main, 'bridge'),
    {
      section: SECTION,
      id: 'max-rate',
      label: `highest rate with zero loss, stepped (${best ? `${best.options.rate}/s per rank` : 'none'})`,
      value: best?.sentRowsPerSecond ?? 0,
      unit: 'per-second',
    },
    lostFigure(
      'gateways-lost',
      '2 jobs x 8 ranks, 2 agents, 2 gateways, 2 bridges: rows lost or duplicated',
      gateways,
    ),
    lostFigure(
      'outages-lost',
      'the same with gateway down 60 s, bridge and agent restarted: rows lost or duplicated',
      outages,
    ),
  ];
  const split = [gateways, outages].flatMap((r) =>
    r.ranks.filter((rank) => rank.bridges.length !== 1),
  );
  return {
    figures,
    warnings: [
      ...Object.entries(runs).flatMap(([name, r]) =>
        r.ranks.flatMap((rank) =>
          rank.lossReports.map((line) => `${name} ${rank.runId}/${rank.rank}: ${line}`),
        ),
      ),
      ...split.map(
        (rank) => `${rank.runId}/${rank.rank}: rows in bridges ${rank.bridges.join(', ')}`,
      ),
    ],
    details: {
      runs: Object.fromEntries(Object.entries(runs).map(([name, r]) => [name, digest(r)])),
    },
  };
}

/** Events lost or duplicated (each rank's difference, counted either way). */
function lost(result: LoadTestResult): number {
  return result.ranks.reduce((sum, r) => sum + Math.abs(r.events - r.written), 0);
}

function lostFigure(id: string, label: string, result: LoadTestResult): Figure {
  return {
    section: SECTION,
    id,
    label,
    value: (lost(result) / result.eventsLogged) * 100,
    unit: 'percent',
    target: { on: 'value', op: '<=', limit: 0 },
  };
}

function peakRss(result: LoadTestResult, prefix: string): number {
  return Math.max(
    0,
    ...result.usage.filter((u) => u.name.startsWith(prefix)).map((u) => u.maxRssMiB),
  );
}

/** Share of one core per 1,000 rows/s, over the time the ranks logged and the drain after. */
function cpuFigure(id: string, name: string, result: LoadTestResult, prefix: string): Figure {
  const cpu = result.usage
    .filter((u) => u.name.startsWith(prefix))
    .reduce((s, u) => s + u.cpuSeconds, 0);
  return {
    section: SECTION,
    id,
    label: `32 x 300 rows/s: ${name} CPU per 1,000 rows/s (% of a core)`,
    value: (cpu / (result.rowsLogged / 1000)) * 100,
    unit: 'percent',
  };
}

function summary(r: LoadTestResult): string {
  const usage = r.usage.map(
    (u) => `${u.name} ${u.cpuSeconds.toFixed(1)} s CPU, ${u.maxRssMiB.toFixed(0)} MiB`,
  );
  return (
    `${r.rowsLogged} rows at ${r.sentRowsPerSecond.toFixed(0)}/s, ${r.eventsWritten}/${r.eventsLogged} events written, ` +
    `lost ${lost(r)}, drained in ${r.drainSeconds.toFixed(1)} s, load ${r.loadAverage.map((l) => l.toFixed(1)).join(' -> ')}; ${usage.join('; ')}`
  );
}

/** The JSON results: everything but per-rank detail when every rank matched. */
function digest(r: LoadTestResult): unknown {
  const mismatched = r.ranks.filter(
    (rank) => rank.written !== rank.events || !rank.lastValuesExact,
  );
  return { ...r, ranks: undefined, mismatched, lost: lost(r) };
}
