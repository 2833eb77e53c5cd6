/**
 * Issue 18, must-show 3 (TensorBoard): with `system_metrics` on, TensorBoard's own reader finds
 * `system/...` scalars at the latest row's step; without a W&B backend they are off by default.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TensorBoardLogger } from '../../../src/loggers/tensorboard-logger.js';
import { tempDir } from '../wandb/temp-dirs.js';
import { type AccumulatedRun, accumulate } from './readers.js';

async function logFor(systemMetrics: boolean | undefined): Promise<AccumulatedRun> {
  const logger = new TensorBoardLogger(
    { log_dir: tempDir('tb-system') },
    {
      env: {},
      settings: {
        handle_signals: false,
        system_metrics_interval: 0.1,
        ...(systemMetrics === undefined ? {} : { system_metrics: systemMetrics }),
      },
    },
  );
  for (let step = 0; step < 30; step++) {
    logger.logMetrics({ 'train/loss': 1 / (step + 1) }, step * 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await logger.finish();
  return accumulate(logger.runDir!);
}

describe('TensorBoard system scalars', () => {
  let on: AccumulatedRun;
  let byDefault: AccumulatedRun;

  beforeAll(async () => {
    [on, byDefault] = await Promise.all([logFor(true), logFor(undefined)]);
  }, 60_000);

  it('are system/<semantic-convention name> scalars at the steps of the rows', () => {
    const rss = on.scalars['system/process.memory.usage']!;
    expect(rss.length).toBeGreaterThanOrEqual(3);
    const rowSteps = new Set(on.scalars['train/loss']!.map(([step]) => step));
    for (const [step, value] of rss) {
      expect(rowSteps.has(step)).toBe(true);
      expect(value).toBeGreaterThan(10 * 2 ** 20);
    }
    expect(Object.keys(on.scalars)).toEqual(
      expect.arrayContaining([
        'system/system.cpu.utilization',
        'system/system.memory.utilization',
        'system/process.cpu.utilization',
        'system/nodejs.eventloop.delay.p99',
      ]),
    );
  });

  it('are off by default for a run without W&B', () => {
    expect(Object.keys(byDefault.scalars)).toEqual(['train/loss']);
  });
});
