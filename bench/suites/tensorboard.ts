/**
 * (2) TensorBoard throughput: scalars per second into an event file, end to end (logMetrics on a
 * TensorBoard-only logger, then its flush: the file holds every event), against tensorboardX's
 * `SummaryWriter.add_scalar` in Python with its native crc32c (same rows, same machine) and
 * against a bare loop that only encodes, checksums and writes the same events (the limit). The
 * same end-to-end run with the pure TypeScript CRC-32C instead of the native binding shows what a
 * platform without the binding (or `--omit=optional`) costs.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { useCrc32c } from '../../src/exporters/tensorboard/crc32c.js';
import { writeBareEvents } from '../bare-tfevents.js';
import { createBenchLogger, ROW_KEYS, row } from '../loggers.js';
import { runPythonBench, writeRowsFile } from '../python.js';
import type { Figure } from '../report.js';
import { median } from '../stats.js';
import { collectGarbage, repeatInterleaved, timeMs } from '../timing.js';
import type { SuiteContext, SuiteResult } from './suite.js';

interface TensorBoardXResult {
  readonly seconds: readonly number[];
  readonly native_crc32c: boolean;
}

export async function tensorboardSuite(context: SuiteContext): Promise<SuiteResult> {
  // Python is about a hundred times slower: it logs fewer rows (the same ones) in similar time.
  const rows = context.quick ? 20_000 : 100_000;
  const pythonRows = rows / 10;
  const dir = join(context.places.dir, 'tensorboard-suite');
  mkdirSync(dir, { recursive: true });
  const rowsFile = writeRowsFile(
    join(dir, 'rows.json'),
    Array.from({ length: pythonRows }, (_, i) => row(i)),
  );
  context.log('tensorboard: tensorboardX add_scalar (Python)');
  const tbx = await runPythonBench<TensorBoardXResult>(context.python, 'tensorboardx_bench.py', [
    rowsFile,
    join(dir, 'tensorboardx'),
    String(context.repeats),
  ]);
  const warnings: string[] = [];
  let bareRuns = 0;
  /** Rows/s end to end: logMetrics on a TensorBoard-only logger, then its flush. */
  const endToEnd = async (warmUp: boolean) => {
    const n = warmUp ? rows / 4 : rows;
    const { logger, diagnostics } = createBenchLogger(['tensorboard'], context.places);
    const ms = await timeMs(async () => {
      for (let i = 0; i < n; i++) logger.logMetrics(row(i), i);
      await logger.flush();
    });
    await logger.finish();
    warnings.push(...diagnostics.messages.map((m) => m.message));
    return (n * ROW_KEYS.length) / (ms / 1000);
  };
  if (!useCrc32c('native')) throw new Error('the native CRC-32C (@node-rs/crc32) is not installed');
  const results = await repeatInterleaved(
    [
      { name: 'ours', run: endToEnd },
      {
        name: 'ours, pure CRC-32C',
        run: async (warmUp) => {
          useCrc32c('pure');
          try {
            return await endToEnd(warmUp);
          } finally {
            useCrc32c('native');
          }
        },
      },
      {
        name: 'bare',
        run: async (warmUp) => {
          const n = warmUp ? rows / 4 : rows;
          const path = join(dir, `bare.${bareRuns++}.tfevents`);
          const ms = await timeMs(() => writeBareEvents(path, n, ROW_KEYS, row));
          return (n * ROW_KEYS.length) / (ms / 1000);
        },
      },
    ],
    {
      repeats: context.repeats,
      before: collectGarbage,
      progress: (name, round) => context.log(`tensorboard: ${name} (round ${round})`),
    },
  );
  if (!tbx.native_crc32c) {
    warnings.push('tensorboardX ran without its native crc32c: not its best configuration');
  }
  const tbxRuns = tbx.seconds.map((s) => (pythonRows * ROW_KEYS.length) / s);
  const tbxBaseline = {
    label: `tensorboardX add_scalar${tbx.native_crc32c ? ' (native crc32c)' : ''}`,
    value: median(tbxRuns),
  };
  const ours = results.get('ours')!;
  const pure = results.get('ours, pure CRC-32C')!;
  const bare = results.get('bare')!;
  const figures: Figure[] = [
    {
      section: 2,
      id: 'tensorboard.vs-tensorboardx',
      label: 'TensorBoard scalars/s, end to end',
      value: median(ours),
      unit: 'per-second',
      runs: ours,
      baseline: tbxBaseline,
      target: { on: 'ratio', op: '>=', limit: 50 },
    },
    {
      section: 2,
      id: 'tensorboard.vs-bare',
      label: 'TensorBoard scalars/s, end to end',
      value: median(ours),
      unit: 'per-second',
      runs: ours,
      baseline: { label: 'bare encode+CRC+write loop', value: median(bare) },
      target: { on: 'ratio', op: '>=', limit: 0.5 },
    },
    {
      section: 2,
      id: 'tensorboard.pure-crc32c',
      label: 'TensorBoard scalars/s, end to end, pure CRC-32C',
      value: median(pure),
      unit: 'per-second',
      runs: pure,
      baseline: { label: 'the same with the native CRC-32C', value: median(ours) },
      target: { on: 'ratio', op: '>=', limit: 1 / 3 },
    },
    {
      section: 2,
      id: 'tensorboard.bare',
      label: 'bare encode+CRC+write loop scalars/s',
      value: median(bare),
      unit: 'per-second',
      runs: bare,
      baseline: tbxBaseline,
    },
  ];
  return {
    figures,
    warnings,
    details: { rows, pythonRows, tensorboardXRuns: tbxRuns, nativeCrc32c: tbx.native_crc32c },
  };
}
