import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import type { BaseLogger } from '../../src/loggers/base-logger.js';
import { ConsoleLogger } from '../../src/loggers/console-logger.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { LoggingCallback, loggingCallbackSettings } from '../../src/trainer/callbacks.js';
import {
  type StepOutputs,
  Trainer,
  type TrainerState,
  type ValidationMetrics,
} from '../../src/trainer/trainer.js';
import { CaptureStream } from '../support/capture-stream.js';
import { memoryBackend } from '../support/memory-sink.js';

const open: BaseLogger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

function memoryLogger() {
  const { sink, backend } = memoryBackend();
  const logger = new TelemetryLogger({}, () => [backend], { settings: { handle_signals: false } });
  open.push(logger);
  return { logger, sink };
}

/** A loop of `epochs` x `batches` whose loss falls and whose validation loss is given per epoch. */
function loop(
  callbacks: Trainer<string, number>['callbacks'],
  options: { epochs: number; batches: number; valLosses: number[] },
) {
  return new Trainer<string, number>({
    model: 'model',
    data: Array.from({ length: options.batches }, (_, i) => i),
    epochs: options.epochs,
    optimizer: { paramGroups: [{ lr: 0.1 }] },
    trainStep: (_batch, trainer) => ({
      loss: 1 / (trainer.globalStep + 1),
      batch_size: 32,
      note: 'text is not logged',
    }),
    validate: (_model, trainer) => ({ val_loss: options.valLosses[trainer.epoch]! }),
    callbacks,
  });
}

describe('seed: Advanced Logging with Callbacks', () => {
  it('runs the seed CustomLoggingCallback as written', async () => {
    const { logger, sink } = memoryLogger();

    class CustomLoggingCallback extends LoggingCallback {
      bestLoss = Number.POSITIVE_INFINITY;

      constructor(logger: BaseLogger, logFrequency = 10) {
        super(logger, logFrequency);
      }

      override onBatchEnd(
        trainer: TrainerState,
        _model: unknown,
        outputs: StepOutputs,
        _batch: unknown,
        batchIdx: number,
      ): void {
        if (batchIdx % this.logFrequency === 0) {
          this.logger.logMetrics(
            {
              'train/loss': outputs.loss,
              'train/lr': trainer.optimizer.paramGroups[0]!.lr,
            },
            trainer.globalStep,
          );
        }
      }

      override onValidationEnd(
        trainer: TrainerState,
        _model: unknown,
        metrics: ValidationMetrics,
      ): void {
        this.logger.logMetrics(metrics, trainer.globalStep);

        if (metrics.val_loss! < this.bestLoss) {
          this.bestLoss = metrics.val_loss!;
          this.logger.logMetrics({ best_val_loss: this.bestLoss });
        }
      }
    }

    // Use with trainer
    const callback = new CustomLoggingCallback(logger);
    const trainer = loop([callback], { epochs: 3, batches: 20, valLosses: [0.5, 0.3, 0.4] });
    await trainer.fit();
    await logger.flush();

    expect(callback.bestLoss).toBe(0.3);
    expect(sink.rows.map((row) => [row.step, row.values])).toEqual([
      [1, { 'train/loss': 1, 'train/lr': 0.1 }],
      [11, { 'train/loss': 1 / 11, 'train/lr': 0.1 }],
      [20, { val_loss: 0.5 }],
      [21, { best_val_loss: 0.5 }],
      [21, { 'train/loss': 1 / 21, 'train/lr': 0.1 }],
      [31, { 'train/loss': 1 / 31, 'train/lr': 0.1 }],
      [40, { val_loss: 0.3 }],
      [41, { best_val_loss: 0.3 }],
      [41, { 'train/loss': 1 / 41, 'train/lr': 0.1 }],
      [51, { 'train/loss': 1 / 51, 'train/lr': 0.1 }],
      [60, { val_loss: 0.4 }],
    ]);
  });
});

describe('LoggingCallback', () => {
  it('logs numeric outputs under train/, the lr and epoch, validation, and weight histograms', async () => {
    const { logger, sink } = memoryLogger();
    const callback = new LoggingCallback<string, number>(logger, 5, {
      histogramFrequency: 4,
      weights: () => [['dense/kernel', [1, 2, 3]]],
    });
    await loop([callback], { epochs: 1, batches: 8, valLosses: [0.2] }).fit();
    await logger.flush();
    expect(sink.rows.map((row) => [row.step, row.values])).toEqual([
      [1, { 'train/loss': 1, 'train/batch_size': 32, 'train/lr': 0.1, 'train/epoch': 0 }],
      [6, { 'train/loss': 1 / 6, 'train/batch_size': 32, 'train/lr': 0.1, 'train/epoch': 0 }],
      [8, { val_loss: 0.2 }],
    ]);
    const histograms = sink.events.filter((e) => e.kind === 'histogram');
    expect(histograms.map((h) => [h.step, h.tag])).toEqual([
      [4, 'weights/dense/kernel'],
      [8, 'weights/dense/kernel'],
    ]);
    // The callback never finishes the logger: that is left to its owner.
    expect(logger.run.finished).toBe(false);
  });

  it('announces a loop of known length, and the console draws a bar on a terminal', async () => {
    const stream = new CaptureStream({ isTTY: true });
    const logger = new ConsoleLogger(
      { stream, format: '%(message)s', colored: false },
      { settings: { handle_signals: false } },
    );
    open.push(logger);
    await loop([new LoggingCallback(logger, 10)], {
      epochs: 2,
      batches: 10,
      valLosses: [0.5, 0.4],
    }).fit();
    await logger.finish();
    expect(stream.text).toMatch(/█+ {2}20\/20 100%.*\nrun finished/);
    expect(stream.text).toMatch(/step 11 \| train\/loss .*\n█+░+ {2}11\/20 {2}55%/);
  });

  it('rejects a log frequency that is not a positive integer', () => {
    const { logger } = memoryLogger();
    expect(() => new LoggingCallback(logger, 0)).toThrow(
      'LoggingCallback: logFrequency must be a positive integer, got 0',
    );
  });
});

describe('LoggingCallback checkpoints and gradients (the seed keys save_frequency, log_model, log_gradients)', () => {
  it("reads the seed's YAML: checkpoints every save_frequency steps when wandb.log_model is on", () => {
    const seed = LoggingConfig.fromYaml(
      join(import.meta.dirname, '../fixtures/config/seed-logging.yaml'),
      {
        env: {},
      },
    );
    expect(loggingCallbackSettings(seed)).toEqual({
      logFrequency: 10,
      saveFrequency: 50,
      logGradients: false,
    });
    const off = LoggingConfig.fromDict(
      { save_frequency: 50, wandb: { log_model: false } },
      { env: {} },
    );
    expect(loggingCallbackSettings(off).saveFrequency).toBe(0);
  });

  it('hands a checkpoint to logModel every saveFrequency steps without holding up a step, and logs gradients', async () => {
    const { logger, sink } = memoryLogger();
    const saved: { model: string | Uint8Array; name: string; aliases: readonly string[] }[] = [];
    let release!: () => void;
    const uploading = new Promise<void>((resolve) => {
      release = resolve;
    });
    logger.logModel = async (model, name, aliases = []) => {
      saved.push({ model, name, aliases });
      await uploading;
    };
    const callback = new LoggingCallback<string, number>(logger, 100, {
      histogramFrequency: 4,
      logGradients: true,
      gradients: () => [['dense/kernel', [0.5, -0.5]]],
      saveFrequency: 3,
      checkpoint: (model) => `${model}.json`,
    });
    const fit = loop([callback], { epochs: 1, batches: 9, valLosses: [0.2] }).fit();
    // The uploads are still pending, yet the loop reached its end: only onTrainEnd waits.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(saved.map((s) => s.aliases)).toEqual([
      ['latest', 'step-3'],
      ['latest', 'step-6'],
      ['latest', 'step-9'],
    ]);
    release();
    await fit;
    expect(saved.every((s) => s.model === 'model.json' && s.name === 'model_checkpoint')).toBe(
      true,
    );
    await logger.flush();
    const gradients = sink.events.filter(
      (e) => e.kind === 'histogram' && e.tag === 'gradients/dense/kernel',
    );
    expect(gradients.map((e) => (e.kind === 'histogram' ? e.step : -1))).toEqual([4, 8]);
  });

  it('warns, and goes on, when a checkpoint cannot be made', async () => {
    const { logger } = memoryLogger();
    const diagnostics = new CollectingDiagnostics();
    logger.logger = diagnostics;
    const callback = new LoggingCallback<string, number>(logger, 100, {
      saveFrequency: 2,
      checkpoint: () => {
        throw new Error('disk full');
      },
    });
    await loop([callback], { epochs: 1, batches: 4, valLosses: [0.2] }).fit();
    expect(diagnostics.at('WARNING')).toEqual([
      'LoggingCallback: checkpoint at step 2 not logged: disk full',
      'LoggingCallback: checkpoint at step 4 not logged: disk full',
    ]);
  });
});
