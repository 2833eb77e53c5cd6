/**
 * (4) Memory, each run in a fresh process (memory-process.ts): the live heap (after a full
 * garbage collection) and RSS after 1,000,000 steps against after 10,000, all backends on; and
 * the peak while the W&B server and the OTLP receiver are down for 60 s, against the buffers the
 * configuration allows.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { GrowthResult, MemorySample, OutageResult } from '../memory-process.js';
import type { Figure } from '../report.js';
import type { SuiteContext, SuiteResult } from './suite.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** Growth allowed after warm-up: no per-row retention (1M rows would hold 1 MiB at 1 byte each). */
const HEAP_GROWTH_BOUND = 1 * MiB;
/**
 * RSS allowed to grow after warm-up, from fixed sizes, not from the number of rows: V8's young
 * generation may keep both of its semi-spaces committed after a collection (2 x 16 MiB on 64-bit),
 * the TensorBoard writer's buffer doubles up to its 8 MiB limit between flushes, and the
 * allocator keeps some pages it freed (8 MiB allowed).
 */
const RSS_GROWTH_BOUND = 48 * MiB;
// The buffers of the outage, from the configuration (defaults): the OTLP log queue
// (`otlp.max_queue_size` 16384, plus one export batch of 512 in flight), the W&B spool's
// in-memory part (1 MiB) and one file_stream request being built (up to 10 MiB of lines, held
// as lines, as the request body and as its bytes).
const OTLP_QUEUE_RECORDS = 16_384 + 512;
const WANDB_BUFFERS = 1 * MiB + 3 * 10 * MiB;

export async function memorySuite(context: SuiteContext): Promise<SuiteResult> {
  const steps = context.quick ? 100_000 : 1_000_000;
  const outageSeconds = context.quick ? 10 : 60;
  context.log(`memory: ${steps} steps, all backends (fresh process)`);
  const growth = await memoryProcess<GrowthResult>([
    'growth',
    String(steps),
    context.peers.otlpEndpoint,
  ]);
  context.log(`memory: W&B and OTLP down for ${outageSeconds} s (fresh process)`);
  const outage = await memoryProcess<OutageResult>(['outage', String(outageSeconds)]);

  const warm = growth.samples.find((s) => s.step === 10_000)!;
  const last = growth.samples.at(-1)!;
  const before = outage.samples.filter((s) => s.phase === 'reachable').at(-1)!;
  const during = outage.samples.filter((s) => s.phase === 'outage');
  const peak = maxBy(during, (s) => s.heapUsed);
  const half = during[0]!.at + outageSeconds / 2;
  const firstHalf = maxBy(
    during.filter((s) => s.at < half),
    (s) => s.heapUsed,
  );
  const secondHalf = maxBy(
    during.filter((s) => s.at >= half),
    (s) => s.heapUsed,
  );
  const bound = OTLP_QUEUE_RECORDS * outage.bytesPerQueuedRecord + WANDB_BUFFERS;
  const steps10k = { label: 'after 10k steps' };
  const figures: Figure[] = [
    {
      section: 4,
      id: 'memory.heap',
      label: `live heap after ${steps.toLocaleString('en')} steps (bound: +1 MiB)`,
      value: last.heapUsed,
      unit: 'bytes',
      baseline: { ...steps10k, value: warm.heapUsed },
      target: { on: 'value', op: '<=', limit: warm.heapUsed + HEAP_GROWTH_BOUND },
    },
    {
      section: 4,
      id: 'memory.rss',
      label: `RSS after ${steps.toLocaleString('en')} steps (bound: +48 MiB)`,
      value: last.rss,
      unit: 'bytes',
      baseline: { ...steps10k, value: warm.rss },
      target: { on: 'value', op: '<=', limit: warm.rss + RSS_GROWTH_BOUND },
    },
    {
      section: 4,
      id: 'memory.outage-heap',
      label: `peak live heap, W&B and OTLP down ${outageSeconds} s (bound: + buffers)`,
      value: peak.heapUsed,
      unit: 'bytes',
      baseline: { label: 'before the outage', value: before.heapUsed },
      target: { on: 'value', op: '<=', limit: before.heapUsed + bound },
    },
    {
      section: 4,
      id: 'memory.outage-plateau',
      label: 'peak live heap, 2nd half of the outage vs 1st',
      value: secondHalf.heapUsed,
      unit: 'bytes',
      baseline: { label: '1st half', value: firstHalf.heapUsed },
      target: { on: 'ratio', op: '<=', limit: 1.1 },
    },
    {
      section: 4,
      id: 'memory.outage-rss',
      label: 'peak RSS of the outage run',
      value: outage.maxRss,
      unit: 'bytes',
      baseline: { label: 'RSS before the outage', value: before.rss },
    },
  ];
  return {
    figures,
    warnings: [...new Set(outage.warnings)],
    details: {
      steps,
      outageSeconds,
      growth: growth.samples,
      outage: outage.samples,
      bytesPerQueuedRecord: outage.bytesPerQueuedRecord,
      configuredBoundBytes: bound,
      finishMs: outage.finishMs,
    },
  };
}

async function memoryProcess<T>(args: readonly string[]): Promise<T> {
  const script = fileURLToPath(new URL('../memory-process.js', import.meta.url));
  const { stdout } = await run(process.execPath, ['--expose-gc', script, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

function maxBy(samples: readonly MemorySample[], value: (s: MemorySample) => number): MemorySample {
  if (samples.length === 0) throw new Error('memory: no samples in a phase');
  return samples.reduce((best, s) => (value(s) > value(best) ? s : best));
}
