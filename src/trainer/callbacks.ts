/**
 * Trainer callbacks (the Python API's `trainer.callbacks`): hooks a training loop calls, and
 * `LoggingCallback`, which logs a loop's progress through any logger. They work with this
 * package's `Trainer`, with TensorFlow.js `model.fit` (see `./tfjs.js`), and with any loop that
 * calls the hooks with a `TrainerState`.
 */
import type { LoggingConfig } from '../config/logging-config.js';
import { progressRecord } from '../events/events.js';
import type { HistogramInput } from '../events/media.js';
import type { BaseLogger } from '../loggers/base-logger.js';
import { runOf } from '../loggers/logger-wrapper.js';
import type { StepOutputs, TrainerState, ValidationMetrics } from './trainer.js';

/** The hooks a loop calls; every one is optional. */
export interface TrainerCallback<Model = unknown, Batch = unknown> {
  onTrainBegin?(trainer: TrainerState, model: Model): void | Promise<void>;
  onEpochBegin?(trainer: TrainerState, model: Model): void | Promise<void>;
  onBatchBegin?(
    trainer: TrainerState,
    model: Model,
    batch: Batch,
    batchIdx: number,
  ): void | Promise<void>;
  onBatchEnd?(
    trainer: TrainerState,
    model: Model,
    outputs: StepOutputs,
    batch: Batch,
    batchIdx: number,
  ): void | Promise<void>;
  onValidationEnd?(
    trainer: TrainerState,
    model: Model,
    metrics: ValidationMetrics,
  ): void | Promise<void>;
  onEpochEnd?(trainer: TrainerState, model: Model): void | Promise<void>;
  onTrainEnd?(trainer: TrainerState, model: Model): void | Promise<void>;
}

export interface LoggingCallbackOptions<Model> {
  /** Log weight histograms every this many steps (0: never). Default 0. */
  readonly histogramFrequency?: number;
  /** The model's weights by name, for the histograms. */
  readonly weights?: (model: Model) => Iterable<readonly [name: string, values: HistogramInput]>;
  /**
   * Log gradient histograms (`gradients/<name>`) with the weight histograms (the Python API's
   * `log_gradients`). Default false.
   */
  readonly logGradients?: boolean;
  /** A step's gradients by name, from its outputs, for those histograms. */
  readonly gradients?: (
    outputs: StepOutputs,
  ) => Iterable<readonly [name: string, values: HistogramInput]> | undefined;
  /**
   * Hand a checkpoint to `logger.logModel` every this many steps (0: never; the Python API's
   * `save_frequency` with `log_model`). Default 0.
   */
  readonly saveFrequency?: number;
  /** The model as a file path or bytes, for the checkpoints. */
  readonly checkpoint?: (model: Model) => string | Uint8Array | Promise<string | Uint8Array>;
  /** The checkpoints' artifact name. Default `model_checkpoint`. */
  readonly checkpointName?: string;
}

/**
 * The LoggingCallback settings a logging configuration holds, in the Python API's keys:
 * `log_frequency`, `save_frequency` (checkpoints, when `wandb.log_model` is on) and
 * `wandb.log_gradients`.
 */
export function loggingCallbackSettings(config: LoggingConfig): {
  readonly logFrequency: number;
  readonly saveFrequency: number;
  readonly logGradients: boolean;
} {
  const wandb = config.section('wandb');
  return {
    logFrequency: config.global.log_frequency,
    saveFrequency: wandb.log_model ? (config.global.save_frequency ?? 0) : 0,
    logGradients: wandb.log_gradients,
  };
}

/**
 * Logs a training loop (the Python API's `LoggingCallback(logger, log_frequency)`): every
 * `logFrequency`-th batch of an epoch, the numbers of the step's outputs as `train/<key>` with
 * `train/lr` and `train/epoch`; validation metrics as given; weight (and, with `logGradients`,
 * gradient) histograms every `histogramFrequency` steps; a checkpoint to `logModel` every
 * `saveFrequency` steps; all at `trainer.globalStep`. `loggingCallbackSettings(config)` reads
 * these from a logging configuration's Python API keys. When the loop's length is
 * known, it is announced at the start (the console shows a progress bar on a terminal).
 * Subclass it to log differently, as the Python API's `CustomLoggingCallback` does.
 */
export class LoggingCallback<Model = unknown, Batch = unknown>
  implements TrainerCallback<Model, Batch>
{
  readonly logger: BaseLogger;
  readonly logFrequency: number;
  private readonly options: LoggingCallbackOptions<Model>;
  /** Checkpoints on their way to the backends: a step never waits for one, the loop's end does. */
  private readonly saving = new Set<Promise<void>>();

  constructor(logger: BaseLogger, logFrequency = 10, options: LoggingCallbackOptions<Model> = {}) {
    if (!Number.isInteger(logFrequency) || logFrequency < 1) {
      throw new RangeError(
        `LoggingCallback: logFrequency must be a positive integer, got ${logFrequency}`,
      );
    }
    this.logger = logger;
    this.logFrequency = logFrequency;
    this.options = options;
  }

  onTrainBegin(trainer: TrainerState, _model: Model): void {
    if (trainer.totalSteps !== undefined) announceLength(this.logger, trainer.totalSteps);
  }

  onBatchEnd(
    trainer: TrainerState,
    model: Model,
    outputs: StepOutputs,
    _batch: Batch,
    batchIdx: number,
  ): void {
    if (batchIdx % this.logFrequency === 0) {
      const row: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(outputs)) {
        if (typeof value === 'number') row[`train/${key}`] = value;
      }
      const lr = trainer.optimizer.paramGroups[0]?.lr;
      if (lr !== undefined) row['train/lr'] = lr;
      row['train/epoch'] = trainer.epoch;
      this.logger.logMetrics(row, trainer.globalStep);
    }
    const every = this.options.histogramFrequency ?? 0;
    if (every > 0 && trainer.globalStep % every === 0) {
      for (const [name, values] of this.options.weights?.(model) ?? []) {
        this.logger.logHistogram(`weights/${name}`, values, trainer.globalStep);
      }
      if (this.options.logGradients) {
        for (const [name, values] of this.options.gradients?.(outputs) ?? []) {
          this.logger.logHistogram(`gradients/${name}`, values, trainer.globalStep);
        }
      }
    }
    const saveEvery = this.options.saveFrequency ?? 0;
    if (saveEvery > 0 && this.options.checkpoint && trainer.globalStep % saveEvery === 0) {
      this.save(model, trainer.globalStep);
    }
  }

  async onTrainEnd(_trainer: TrainerState, _model: Model): Promise<void> {
    await Promise.all(this.saving);
  }

  private save(model: Model, step: number): void {
    const name = this.options.checkpointName ?? 'model_checkpoint';
    const saving = (async () => {
      try {
        const checkpoint = await this.options.checkpoint!(model);
        await this.logger.logModel(checkpoint, name, ['latest', `step-${step}`]);
      } catch (error) {
        this.logger.logger.warning(
          `LoggingCallback: checkpoint at step ${step} not logged: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    })();
    this.saving.add(saving);
    void saving.then(() => this.saving.delete(saving));
  }

  onValidationEnd(trainer: TrainerState, _model: Model, metrics: ValidationMetrics): void {
    this.logger.logMetrics(metrics, trainer.globalStep);
  }
}

/**
 * Tells the backends how long the loop is: a `jepa.progress` event with the step at which it is
 * complete. Only loggers with a run (directly or wrapped) carry it.
 */
export function announceLength(logger: BaseLogger, totalSteps: number): void {
  runOf(logger)?.emitEvent(progressRecord(totalSteps));
}
