/**
 * (6) What `import 'jepa-loggers'` costs a process that logs to the console only: the time from
 * the process's start until a console logger exists, and the peak RSS, each in a fresh process,
 * against a bare `node` measured the same way. Dependencies that only other backends use (PNG,
 * protobuf, the OTLP exporters, JSON Schema, YAML) must not be loaded on the way.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Figure } from '../report.js';
import { median } from '../stats.js';
import type { SuiteContext, SuiteResult } from './suite.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** The budget over bare node. */
const TIME_BUDGET_NS = 100e6;
const RSS_BUDGET = 30 * MiB;

/** The package entry as it ships, bundled (scripts/build.mjs) beside this suite in `.bench-dist/`. */
const ENTRY = new URL('../../package/index.js', import.meta.url).href;

/**
 * Prints the time since the process started (ns), the CPU time it used (user and system, ns) and
 * its peak RSS (bytes) as JSON. On a busy machine the wall time mostly measures the wait for a
 * core; the CPU time is what the process itself cost.
 */
const REPORT =
  'const usage = process.resourceUsage();' +
  'process.stdout.write(JSON.stringify({ ns: performance.now() * 1e6, ' +
  'cpu: (usage.userCPUTime + usage.systemCPUTime) * 1e3, rss: usage.maxRSS * 1024 }));';

const PROGRAMS = {
  bare: REPORT,
  console: [
    `const { createLogger } = await import(${JSON.stringify(ENTRY)});`,
    "const logger = createLogger({ backends: ['console'], console: { level: 'WARNING' } });",
    REPORT,
    'await logger.finish();',
  ].join('\n'),
};

interface Sample {
  readonly ns: number;
  readonly cpu: number;
  readonly rss: number;
}

async function sample(program: string): Promise<Sample> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program]);
  return JSON.parse(stdout) as Sample;
}

export async function startupSuite(context: SuiteContext): Promise<SuiteResult> {
  const repeats = context.repeats * 3;
  context.log(`startup: bare node and import + console logger, ${repeats} fresh processes each`);
  const samples = { bare: [] as Sample[], console: [] as Sample[] };
  // Interleaved, so that a change in the machine's load reaches both alike.
  for (let i = 0; i < repeats; i++) {
    samples.bare.push(await sample(PROGRAMS.bare));
    samples.console.push(await sample(PROGRAMS.console));
  }
  const of = (key: keyof typeof samples, field: keyof Sample) => samples[key].map((s) => s[field]);
  const figure = (
    field: keyof Sample,
    id: string,
    label: string,
    unit: Figure['unit'],
    budget?: number,
  ): Figure => {
    const bare = median(of('bare', field));
    return {
      section: 6,
      id,
      label: `import 'jepa-loggers' + console logger, ${label}`,
      value: median(of('console', field)),
      unit,
      runs: of('console', field),
      baseline: { label: 'bare node', value: bare },
      ...(budget === undefined ? {} : { target: { on: 'value', op: '<=', limit: bare + budget } }),
    };
  };
  const figures: Figure[] = [
    figure('ns', 'startup.time', 'time from process start (budget: +100 ms)', 'ns', TIME_BUDGET_NS),
    figure('cpu', 'startup.cpu', 'CPU time (user + system)', 'ns'),
    figure('rss', 'startup.rss', 'peak RSS (budget: +30 MiB)', 'bytes', RSS_BUDGET),
  ];
  return { figures, warnings: [], details: { samples } };
}
