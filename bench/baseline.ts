/**
 * `npm run bench -- --baseline <git-ref>`: this build and the build of `<git-ref>` measured in the
 * same benchmark run, with each figure's ratio. The ref is checked out in a temporary git worktree
 * outside the repository, given this harness (bench/) so that both builds run the same trials, and
 * compiled there; its suites are then loaded into this process. The two builds take turns, each
 * suite run A B B A, so that a machine getting busier or quieter during the run weighs on both
 * alike; a figure is the median over every run of both turns.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './repo.js';
import { type Figure, formatValue, type Unit } from './report.js';
import { median } from './stats.js';
import type { SuiteContext, SuiteResult } from './suites/suite.js';

export type Suite = (context: SuiteContext) => Promise<SuiteResult>;

/** The module and export of each suite, to load them from the baseline's build. */
const SUITE_MODULES: Readonly<Record<number, readonly [file: string, name: string]>> = {
  1: ['call-path', 'callPathSuite'],
  2: ['tensorboard', 'tensorboardSuite'],
  3: ['wandb', 'wandbSuite'],
  4: ['memory', 'memorySuite'],
  5: ['training-loop', 'trainingLoopSuite'],
  6: ['startup', 'startupSuite'],
  7: ['system-metrics', 'systemMetricsSuite'],
};

/** Suites compared when `--only` does not say: the call path and the training loop. */
export const BASELINE_SUITES = [1, 5] as const;

/** A ref's build, ready to measure. */
export interface RefBuild {
  readonly ref: string;
  readonly commit: string;
  readonly suites: Readonly<Record<number, Suite>>;
  /** Removes the worktree. */
  readonly dispose: () => void;
}

function git(args: readonly string[], cwd = repoRoot): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Checks `ref` out in a temporary worktree, puts this harness in it (the working tree's bench/,
 * or `harness`'s: a commit's, when the working tree's does not fit an older build), compiles the
 * `suites` and loads them. Type errors in the old sources (a bench file newer than the ref's API) are
 * reported, not fatal: TypeScript still emits, and a trial that calls what is not there fails
 * on its own.
 */
export async function buildRef(
  ref: string,
  suites: readonly number[],
  log: (line: string) => void,
  harness?: string,
): Promise<RefBuild> {
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`]).trim();
  const dir = mkdtempSync(join(tmpdir(), 'jepa-bench-baseline-'));
  const interrupted = () => {
    dispose();
    process.exit(130);
  };
  const dispose = () => {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      git(['worktree', 'prune']);
    }
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    log(`building ${ref} (${commit.slice(0, 12)}) in ${dir}`);
    git(['worktree', 'add', '--detach', dir, commit]);
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    rmSync(join(dir, 'bench'), { recursive: true, force: true });
    if (harness) {
      // Resolved here: in the worktree, HEAD would be the ref's.
      const harnessCommit = git(['rev-parse', '--verify', `${harness}^{commit}`]).trim();
      git(['checkout', harnessCommit, '--', 'bench'], dir);
    } else {
      cpSync(join(repoRoot, 'bench'), join(dir, 'bench'), {
        recursive: true,
        filter: (source) => !source.startsWith(join(repoRoot, 'bench', 'results')),
      });
    }
    const files = suites.map((n) => {
      const module = SUITE_MODULES[n];
      if (!module) throw new Error(`--baseline: no suite ${n}`);
      return `bench/suites/${module[0]}.ts`;
    });
    writeFileSync(
      join(dir, 'tsconfig.baseline.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: {
          noEmit: false,
          rootDir: '.',
          outDir: '.bench-dist',
          declaration: false,
          sourceMap: false,
        },
        include: [],
        files,
      }),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.baseline.json'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const output = String((error as { stdout?: string }).stdout ?? error).trim();
      log(`type errors compiling ${ref} with this harness (emitted anyway):`);
      for (const line of output.split('\n').slice(0, 10)) log(`  ${line}`);
    }
    execFileSync(process.execPath, ['scripts/copy-assets.mjs', '.bench-dist/src'], { cwd: dir });
    const loaded: Record<number, Suite> = {};
    for (const n of suites) {
      const [file, name] = SUITE_MODULES[n]!;
      const url = pathToFileURL(join(dir, '.bench-dist', 'bench', 'suites', `${file}.js`));
      const module = (await import(url.href)) as Record<string, Suite>;
      loaded[n] = module[name]!;
    }
    return { ref, commit, suites: loaded, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** One figure of both builds. */
export interface Comparison {
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  readonly current: number;
  readonly baseline: number;
  /** current / baseline. */
  readonly ratio: number;
  /**
   * The same with each build's figure divided by its own floor first (the figure's in-run
   * baseline, e.g. raw OTel `gauge.record`), measured in the same suite run: what is left of the
   * change when the machine was busier during one build's turn than the other's. Undefined for a
   * figure without a floor.
   */
  readonly floorRatio?: number;
  /**
   * Not more than `tolerance` worse than the baseline (slower, larger; for rates, fewer), judged
   * on `floorRatio` where there is one.
   */
  readonly within: boolean;
}

export interface ComparedRun {
  /** This build's figures (medians over both of its turns). */
  readonly figures: readonly Figure[];
  readonly comparisons: readonly Comparison[];
  readonly warnings: readonly string[];
  /** How much worse than the baseline a figure may be, as a fraction. */
  readonly tolerance: number;
}

/**
 * Runs each suite of `selected` for this build (`current`: the working tree's, or a ref's with
 * `--current`) and the baseline, A B B A, and pairs the figures by id.
 */
export async function compareBuilds(
  selected: readonly number[],
  current: Readonly<Record<number, Suite>>,
  baseline: RefBuild,
  context: SuiteContext,
  tolerance = 0.1,
): Promise<ComparedRun> {
  const figures: Figure[] = [];
  const comparisons: Comparison[] = [];
  const warnings: string[] = [];
  for (const n of selected) {
    const turns: Record<'current' | 'baseline', SuiteResult[]> = { current: [], baseline: [] };
    for (const build of ['current', 'baseline', 'baseline', 'current'] as const) {
      context.log(`(${n}) ${build === 'current' ? 'this build' : baseline.ref}`);
      const suite = build === 'current' ? current[n]! : baseline.suites[n]!;
      const result = await suite(context);
      turns[build].push(result);
      warnings.push(...result.warnings.map((w) => `(${n}, ${build}) ${w}`));
    }
    const ours = mergeTurns(turns.current);
    const theirs = new Map(mergeTurns(turns.baseline).map((f) => [f.id, f]));
    figures.push(...ours);
    for (const figure of ours) {
      const old = theirs.get(figure.id);
      if (!old) continue;
      const ratio = figure.value / old.value;
      const floorRatio =
        figure.baseline && old.baseline
          ? figure.value / figure.baseline.value / (old.value / old.baseline.value)
          : undefined;
      const judged = floorRatio ?? ratio;
      const worse = figure.unit === 'per-second' ? 1 / judged : judged;
      comparisons.push({
        id: figure.id,
        label: figure.label,
        unit: figure.unit,
        current: figure.value,
        baseline: old.value,
        ratio,
        ...(floorRatio === undefined ? {} : { floorRatio }),
        within: worse <= 1 + tolerance,
      });
    }
  }
  return { figures, comparisons, warnings, tolerance };
}

/** A figure over several runs of its suite: the median of every run, the baseline likewise. */
function mergeTurns(turns: readonly SuiteResult[]): Figure[] {
  const byId = new Map<string, Figure[]>();
  for (const turn of turns) {
    for (const figure of turn.figures)
      byId.set(figure.id, [...(byId.get(figure.id) ?? []), figure]);
  }
  return [...byId.values()].map((same) => {
    const runs = same.flatMap((f) => f.runs ?? [f.value]);
    const first = same[0]!;
    const baselines = same.flatMap((f) => (f.baseline ? [f.baseline.value] : []));
    return {
      ...first,
      value: median(runs),
      runs,
      ...(first.baseline ? { baseline: { ...first.baseline, value: median(baselines) } } : {}),
    };
  });
}

/** The comparison as a text table. */
export function comparisonTable(run: ComparedRun, baseline: RefBuild): string {
  const header = [
    'figure',
    'this build',
    `${baseline.ref} (${baseline.commit.slice(0, 8)})`,
    'ratio',
    'ratio to floor',
    '',
  ];
  const rows = run.comparisons.map((c) => [
    c.label,
    formatValue(c.current, c.unit),
    formatValue(c.baseline, c.unit),
    `${c.ratio.toFixed(3)}x`,
    c.floorRatio === undefined ? '' : `${c.floorRatio.toFixed(3)}x`,
    c.within ? 'ok' : 'WORSE',
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  const worse = run.comparisons.filter((c) => !c.within).length;
  return `${[line(header), ...rows.map(line)].join('\n')}\n\n${run.comparisons.length - worse} of ${run.comparisons.length} figures within ${run.tolerance * 100} % of ${baseline.ref}\n`;
}
