import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { EventName } from '../../src/events/events.js';
import { LoggerRegistry } from '../../src/loggers/base-logger.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { TensorBoardLogger } from '../../src/loggers/tensorboard-logger.js';
import { accumulate } from '../exporters/tensorboard/readers.js';

const scratch = mkdtempSync(join(tmpdir(), 'tb-logger-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const quiet = (runName: string) => ({
  settings: { handle_signals: false, run_name: runName },
  env: {},
});

describe('seed: TensorBoard Logger', () => {
  it("logs the seed's scalars, images and histogram at step 100", async () => {
    const logDir = join(scratch, 'seed');
    const logger = new TensorBoardLogger(
      { log_dir: logDir, log_frequency: 10, log_images: true, log_histograms: true },
      quiet('seed-run'),
    );
    // A batch of two 4x4 RGB images, and a weight matrix.
    const images = [0, 1].map((b) =>
      Array.from({ length: 4 }, (_, y) =>
        Array.from({ length: 4 }, (_, x) => [x * 60, y * 60, b * 255]),
      ),
    );
    const weights = [
      [-0.5, 0.25],
      [0.75, 1],
    ];
    logger.logMetrics({ loss: 0.5 }, 100);
    logger.logImage('input_samples', images, 100);
    logger.logHistogram('model.encoder.weight', weights, 100);
    await logger.finish();

    expect(logger.runDir).toBe(join(logDir, 'seed-run'));
    const seen = await accumulate(logger.runDir!);
    expect(seen.scalars.loss!.map(([step, value]) => [step, value])).toEqual([[100, 0.5]]);
    expect(Object.keys(seen.images).sort()).toEqual(['input_samples', 'input_samples/1']);
    expect(seen.images['input_samples/1']![0]).toMatchObject({ step: 100, width: 4, height: 4 });
    expect(seen.images['input_samples/1']![0]!.pixels).toEqual(images[1]!.flat(2));
    const [h] = seen.histograms['model.encoder.weight']!;
    expect([h!.step, h!.num, h!.min, h!.max, h!.sum]).toEqual([100, 4, -0.5, 1, 1.5]);
  });
});

describe('TensorBoardLogger', () => {
  it('writes each key at most once every log_frequency steps', async () => {
    const logDir = join(scratch, 'frequency');
    const logger = new TensorBoardLogger({ log_dir: logDir, log_frequency: 10 }, quiet('f'));
    for (let step = 0; step < 50; step++) logger.logMetrics({ loss: step }, step);
    await logger.finish();
    const seen = await accumulate(logger.runDir!);
    expect(seen.scalars.loss!.map(([step]) => step)).toEqual([0, 10, 20, 30, 40]);
  });

  it('does not even produce images and histograms when they are off', async () => {
    const logger = new TensorBoardLogger(
      { log_dir: join(scratch, 'off'), log_images: false, log_histograms: false },
      quiet('off'),
    );
    expect(logger.run.pipeline.consumesEvent(EventName.image)).toBe(false);
    expect(logger.run.pipeline.consumesEvent(EventName.histogram)).toBe(false);
    expect(logger.run.pipeline.consumesEvent(EventName.metrics)).toBe(true);
    logger.logImage('img', new Uint8Array([1, 2, 3]), 0);
    await logger.finish();
    expect((await accumulate(logger.runDir!)).images).toEqual({});
  });

  it('keeps the run directory inside log_dir whatever the run name', async () => {
    const logDir = join(scratch, 'escape');
    const logger = new TensorBoardLogger({ log_dir: logDir }, quiet('../../outside'));
    logger.logMetrics({ loss: 1 }, 0);
    await logger.finish();
    expect(relative(logDir, logger.runDir!)).toBe('____outside');
    expect(readdirSync(logDir)).toEqual(['____outside']);
  });

  it('writes on rank 0 only, unless all_ranks (then one run per rank)', async () => {
    const logDir = join(scratch, 'ranks');
    const settings = { handle_signals: false, run_name: 'ddp' };
    const rank1 = new TensorBoardLogger(
      { log_dir: logDir },
      { settings, env: { RANK: '1', WORLD_SIZE: '2' } },
    );
    expect(rank1.runDir).toBeUndefined();
    rank1.logMetrics({ loss: 1 }, 0);
    await rank1.finish();
    expect(existsSync(logDir)).toBe(false);

    const every = [0, 1].map(
      (rank) =>
        new TensorBoardLogger(
          { log_dir: logDir, all_ranks: true },
          { settings, env: { RANK: String(rank), WORLD_SIZE: '2' } },
        ),
    );
    for (const logger of every) {
      logger.logMetrics({ loss: 1 }, 0);
      await logger.finish();
    }
    expect(readdirSync(logDir).sort()).toEqual(['ddp-rank0', 'ddp-rank1']);
  });

  it('is registered as tensorboard, for createLogger and YAML configs', async () => {
    expect(LoggerRegistry.get('tensorboard')).toBe(TensorBoardLogger);
    const logDir = join(scratch, 'registry');
    const logger = createLogger({
      backends: ['tensorboard'],
      run_name: 'from-config',
      handle_signals: false,
      tensorboard: { log_dir: logDir, flush_secs: 1 },
    });
    logger.logMetrics({ 'train/loss': 0.25 }, 3);
    await logger.finish();
    const seen = await accumulate(join(logDir, 'from-config'));
    expect(seen.scalars['train/loss']!.map(([step, value]) => [step, value])).toEqual([[3, 0.25]]);
  });

  it('rejects a bad key naming it, and warns about an unknown one', async () => {
    expect(() => new TensorBoardLogger({ flush_secs: 'often' }, quiet('bad'))).toThrow(ConfigError);
    expect(() => new TensorBoardLogger({ flush_secs: 0 }, quiet('bad'))).toThrow(
      /tensorboard\.flush_secs/,
    );
    const diagnostics = new CollectingDiagnostics();
    const logger = new TensorBoardLogger(
      { log_dir: join(scratch, 'typo'), log_histogram: false },
      { ...quiet('typo'), diagnostics },
    );
    await logger.finish();
    expect(diagnostics.at('WARNING')).toEqual([
      expect.stringMatching(/tensorboard\.log_histogram.*log_histograms/),
    ]);
  });
});

describe('hostile rows', () => {
  it('10,000 rows {good, bad: a throwing getter}: every good point reaches TensorBoard, one warning', async () => {
    const logDir = join(scratch, 'hostile');
    const diagnostics = new CollectingDiagnostics();
    const logger = new TensorBoardLogger({ log_dir: logDir }, { ...quiet('hostile'), diagnostics });
    for (let i = 0; i < 10_000; i++) {
      logger.logMetrics(
        {
          good: i,
          get bad(): number {
            throw new Error('not readable');
          },
        },
        i,
      );
    }
    await logger.finish();
    const run = await accumulate(join(logDir, 'hostile'));
    expect(run.scalars.good?.map(([step]) => step)).toEqual([...Array(10_000).keys()]);
    expect(run.scalars.good?.map(([, value]) => value)).toEqual([...Array(10_000).keys()]);
    expect(run.scalars.bad).toBeUndefined();
    expect(diagnostics.at('WARNING')).toEqual([
      "logMetrics: 'bad' was dropped: reading it threw: not readable",
    ]);
  });
});
