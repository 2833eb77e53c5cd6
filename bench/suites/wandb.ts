/**
 * (3) W&B offline: rows per second into an offline run, end to end (logMetrics on a W&B-only
 * offline logger, then finish: the `.wandb` file is complete and closed), against the `wandb`
 * package's `run.log` in offline mode followed by `run.finish()` (same rows, same machine).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBenchLogger, row } from '../loggers.js';
import { runPythonBench, writeRowsFile } from '../python.js';
import type { Figure } from '../report.js';
import { median } from '../stats.js';
import { collectGarbage, repeatInterleaved, timeMs } from '../timing.js';
import type { SuiteContext, SuiteResult } from './suite.js';

export async function wandbSuite(context: SuiteContext): Promise<SuiteResult> {
  // Python is much slower: it logs fewer rows (the same ones) in similar time.
  const rows = context.quick ? 10_000 : 50_000;
  const pythonRows = rows / 10;
  const dir = join(context.places.dir, 'wandb-suite');
  mkdirSync(dir, { recursive: true });
  const rowsFile = writeRowsFile(
    join(dir, 'rows.json'),
    Array.from({ length: pythonRows }, (_, i) => row(i)),
  );
  context.log('wandb: wandb run.log offline (Python)');
  const python = await runPythonBench<{ seconds: number[] }>(
    context.python,
    'wandb_offline_bench.py',
    [rowsFile, String(context.repeats)],
    {
      ...process.env,
      WANDB_MODE: 'offline',
      WANDB_SILENT: 'true',
      WANDB_DIR: dir,
      WANDB_CACHE_DIR: join(dir, 'cache'),
      WANDB_CONFIG_DIR: join(dir, 'config'),
      HOME: dir,
    },
  );
  const warnings: string[] = [];
  const results = await repeatInterleaved(
    [
      {
        name: 'ours',
        run: async (warmUp) => {
          const n = warmUp ? rows / 4 : rows;
          const { logger, diagnostics } = createBenchLogger(['wandb'], context.places);
          const ms = await timeMs(async () => {
            for (let i = 0; i < n; i++) logger.logMetrics(row(i), i);
            await logger.finish();
          });
          warnings.push(...diagnostics.messages.map((m) => m.message));
          return n / (ms / 1000);
        },
      },
    ],
    {
      repeats: context.repeats,
      before: collectGarbage,
      progress: (name, round) => context.log(`wandb: ${name} (round ${round})`),
    },
  );
  const wandbRuns = python.seconds.map((s) => pythonRows / s);
  const ours = results.get('ours')!;
  const figures: Figure[] = [
    {
      section: 3,
      id: 'wandb.offline',
      label: 'W&B offline rows/s, end to end',
      value: median(ours),
      unit: 'per-second',
      runs: ours,
      baseline: { label: 'wandb run.log (offline)', value: median(wandbRuns) },
      target: { on: 'ratio', op: '>=', limit: 10 },
    },
  ];
  return { figures, warnings, details: { rows, pythonRows, wandbRuns } };
}
