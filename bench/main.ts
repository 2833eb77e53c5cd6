/**
 * `npm run bench`: every figure of BENCHMARKS.md, measured against baselines run in the same
 * process or on the same machine, medians over repeated runs after a warm-up. Prints the table
 * (with the machine and the date) and writes the results as JSON to bench/results/.
 *
 *   npm run bench                    all suites
 *   npm run bench -- --quick         fewer rows and repeats: a sanity run
 *   npm run bench -- --only 1,3      some suites (1 call path, 2 TensorBoard, 3 W&B, 4 memory,
 *                                    5 training loop, 6 import cost,
 *                                    7 system metrics, 8 or scale: many ranks through the
 *                                    Collector, minutes of real processes)
 *   npm run bench -- --markdown      the table as markdown as well (for BENCHMARKS.md)
 *   npm run bench -- --baseline REF  this build against REF's, in one run (default suites 1,5;
 *                                    see baseline.ts); with --current REF2, REF2's build instead
 *                                    of the working tree's; --harness REF3, REF3's bench/ for
 *                                    both builds instead of the working tree's
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BASELINE_SUITES, buildRef, compareBuilds, comparisonTable } from './baseline.js';
import { Places } from './loggers.js';
import { describeMachine, machineLines } from './machine.js';
import { Peers } from './peers.js';
import { repoRoot, venvPython } from './repo.js';
import { type Figure, markdownTable, textTable, verdictOf } from './report.js';
import { callPathSuite } from './suites/call-path.js';
import { memorySuite } from './suites/memory.js';
import { scaleSuite } from './suites/scale.js';
import { startupSuite } from './suites/startup.js';
import type { SuiteContext, SuiteResult } from './suites/suite.js';
import { systemMetricsSuite } from './suites/system-metrics.js';
import { tensorboardSuite } from './suites/tensorboard.js';
import { trainingLoopSuite } from './suites/training-loop.js';
import { wandbSuite } from './suites/wandb.js';

const SUITES: Readonly<Record<number, (context: SuiteContext) => Promise<SuiteResult>>> = {
  1: callPathSuite,
  2: tensorboardSuite,
  3: wandbSuite,
  4: memorySuite,
  5: trainingLoopSuite,
  6: startupSuite,
  7: systemMetricsSuite,
  8: scaleSuite,
};
/** Suites also known by name. */
const SUITE_NAMES: Readonly<Record<string, number>> = { scale: 8 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      current: { type: 'string' },
      harness: { type: 'string' },
    },
  });
  const selected = values.only
    ? values.only.split(',').map((n) => SUITE_NAMES[n.trim()] ?? Number(n.trim()))
    : values.baseline
      ? [...BASELINE_SUITES]
      : Object.keys(SUITES).map(Number);
  for (const n of selected) {
    if (!SUITES[n]) throw new Error(`--only: no suite ${n} (suites: ${Object.keys(SUITES)})`);
  }
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    throw new Error('run the benchmark with node --expose-gc (npm run bench does)');
  }
  const python = await venvPython();
  const machine = describeMachine(python);
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  for (const line of machineLines(machine)) log(line);
  const baseline = values.baseline
    ? await buildRef(values.baseline, selected, log, values.harness)
    : undefined;
  const current = values.current
    ? await buildRef(values.current, selected, log, values.harness)
    : undefined;
  const peers = await Peers.start();
  const places = new Places(peers.otlpEndpoint);
  const context: SuiteContext = {
    places,
    peers,
    quick: values.quick,
    repeats: values.quick ? 3 : 7,
    python,
    log,
  };
  const figures: Figure[] = [];
  const warnings: string[] = [];
  const details: Record<string, unknown> = {};
  let compared = '';
  try {
    if (baseline) {
      const run = await compareBuilds(selected, current?.suites ?? SUITES, baseline, context);
      figures.push(...run.figures);
      warnings.push(...run.warnings);
      details.baseline = { ref: baseline.ref, commit: baseline.commit, ...run };
      compared = comparisonTable(run, baseline);
    }
    for (const n of baseline ? [] : selected) {
      const result = await SUITES[n]!(context);
      figures.push(...result.figures);
      // Section 4's outage warnings are expected: that run takes W&B and OTLP away on purpose.
      warnings.push(...result.warnings.map((warning) => `(${n}) ${warning}`));
      details[n] = result.details;
    }
  } finally {
    places.dispose();
    await peers.stop();
    baseline?.dispose();
    current?.dispose();
  }
  const header = [
    ...machineLines(machine),
    `load average at the end (1 min): ${loadavg()[0]!.toFixed(2)}`,
    ...(values.quick ? ['QUICK RUN: not figures to publish'] : []),
  ].join('\n');
  process.stdout.write(`\n${header}\n\n`);
  process.stdout.write(textTable(figures));
  if (values.markdown) process.stdout.write(`\n${markdownTable(figures)}`);
  if (compared) {
    process.stdout.write(
      `\n${values.current ?? 'this build'} against ${values.baseline}:\n${compared}`,
    );
  }
  const unique = [...new Set(warnings)];
  if (unique.length > 0) {
    process.stdout.write(`\nwarnings while measured:\n${unique.map((w) => `  ${w}`).join('\n')}\n`);
  }
  const missed = figures.filter((f) => verdictOf(f) === 'missed').length;
  const met = figures.filter((f) => verdictOf(f) === 'met').length;
  process.stdout.write(`\ntargets: ${met} met, ${missed} missed\n`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${machine.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ machine, quick: values.quick, repeats: context.repeats, figures, warnings: unique, details }, null, 2)}\n`,
  );
  process.stdout.write(`results: ${file}\n`);
}

await main();
