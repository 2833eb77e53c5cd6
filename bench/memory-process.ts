/**
 * The memory runs of suite (4), each in a fresh process (`node --expose-gc`) so that nothing else
 * the benchmark did is in its heap. Prints one JSON line.
 *
 *   growth <steps> <otlp endpoint>  all backends, `steps` rows as fast as they go (the event loop
 *                                  turning every 100 rows); live heap and RSS at checkpoints
 *   outage <seconds>               all backends with W&B online, in a loop of 1 ms steps logging
 *                                  every step: W&B reachable, then unreachable (connections
 *                                  refused) for `seconds`, then reachable again; OTLP refused
 *                                  throughout. Live heap every 2 s; peak RSS.
 */
import { LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ALL_BACKENDS, createBenchLogger, Places, row } from './loggers.js';
import { Peers, refusingEndpoint } from './peers.js';
import { collectGarbage, nextTurn } from './timing.js';
import { trainingLoop, Work } from './training-loop.js';

export interface MemorySample {
  /** Seconds since the run started. */
  readonly at: number;
  readonly step: number;
  readonly phase: string;
  /** After a full garbage collection: the live heap. */
  readonly heapUsed: number;
  readonly rss: number;
  /** Memory outside the JS heap held by JS objects (buffers). */
  readonly arrayBuffers: number;
}

export interface GrowthResult {
  readonly samples: readonly MemorySample[];
}

export interface OutageResult {
  readonly samples: readonly MemorySample[];
  /** The process's peak resident set over the whole run. */
  readonly maxRss: number;
  /** Heap held per queued OTLP log record (a 10-scalar row), measured in this process. */
  readonly bytesPerQueuedRecord: number;
  readonly finishMs: number;
  readonly warnings: readonly string[];
}

const start = performance.now();

function sample(step: number, phase: string): MemorySample {
  collectGarbage();
  const usage = process.memoryUsage();
  return {
    at: (performance.now() - start) / 1000,
    step,
    phase,
    heapUsed: usage.heapUsed,
    rss: usage.rss,
    arrayBuffers: usage.arrayBuffers,
  };
}

async function growth(steps: number, otlpEndpoint: string): Promise<GrowthResult> {
  const places = new Places(otlpEndpoint);
  const { logger } = createBenchLogger(ALL_BACKENDS, places);
  const checkpoints = new Set([10_000, 100_000, 250_000, 500_000, 750_000, 1_000_000, steps]);
  const samples: MemorySample[] = [];
  for (let step = 0; step < steps; step++) {
    logger.logMetrics(row(step), step);
    if ((step + 1) % 100 === 0) await nextTurn();
    if (checkpoints.has(step + 1)) {
      await logger.flush();
      samples.push(sample(step + 1, 'logging'));
    }
  }
  await logger.finish();
  places.dispose();
  return { samples };
}

async function outage(seconds: number): Promise<OutageResult> {
  const bytesPerQueuedRecord = queuedRecordBytes();
  const peers = await Peers.start();
  const places = new Places(await refusingEndpoint());
  const { logger, diagnostics } = createBenchLogger(ALL_BACKENDS, places, {
    wandbUrl: peers.wandbUrl,
  });
  const samples: MemorySample[] = [sample(0, 'start')];
  let step = 0;
  let phase = 'reachable';
  let nextSample = performance.now() + 2000;
  const work = Work.calibrated(1);
  const loop = async (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await trainingLoop({
        steps: 100,
        work,
        logger,
        every: 1,
        firstStep: step,
        afterStep: (at) => {
          if (performance.now() >= nextSample) {
            samples.push(sample(at, phase));
            nextSample = performance.now() + 2000;
          }
        },
      });
      step += 100;
    }
  };
  await loop(10_000);
  phase = 'outage';
  await peers.setWandbReachable(false);
  await loop(seconds * 1000);
  phase = 'recovered';
  await peers.setWandbReachable(true);
  await loop(20_000);
  const finishStart = performance.now();
  await logger.finish();
  const finishMs = performance.now() - finishStart;
  samples.push(sample(step, 'finished'));
  places.dispose();
  await peers.stop();
  return {
    samples,
    maxRss: process.resourceUsage().maxRSS * 1024,
    bytesPerQueuedRecord,
    finishMs,
    warnings: [...diagnostics.at('WARNING'), ...diagnostics.at('ERROR')],
  };
}

/**
 * The live heap one queued OTLP log record holds: the SDK's record of a 10-scalar row, as the
 * OTLP batch processor keeps it while the receiver is away. Measured over 16,384 records.
 */
function queuedRecordBytes(): number {
  const kept: unknown[] = [];
  const keeper: LogRecordProcessor = {
    onEmit: (record) => void kept.push(record),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new LoggerProvider({ processors: [keeper] });
  const logger = provider.getLogger('bench');
  const count = 16_384;
  const before = sample(0, 'calibration').heapUsed;
  for (let i = 0; i < count; i++) {
    logger.emit({ eventName: 'jepa.metrics', attributes: { ...row(i), 'jepa.step': i } });
  }
  const after = sample(0, 'calibration').heapUsed;
  kept.length = 0;
  return (after - before) / count;
}

const [mode, ...args] = process.argv.slice(2);
const result =
  mode === 'growth'
    ? await growth(Number(args[0]), args[1]!)
    : mode === 'outage'
      ? await outage(Number(args[0]))
      : undefined;
if (!result) throw new Error(`memory-process: unknown mode '${mode}'`);
process.stdout.write(`${JSON.stringify(result)}\n`);
