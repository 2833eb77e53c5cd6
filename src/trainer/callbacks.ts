/**
 * Trainer callbacks (the seed's `trainer.callbacks`): hooks a training loop calls, and
 * `LoggingCallback`, which logs a loop's progress through any logger. They work with this
 * package's `Trainer`, with TensorFlow.js `model.fit` (see `./tfjs.js`), and with any loop that
 * calls the hooks with a `TrainerState`.
 */
import type { BaseLogger } from '../loggers/base-logger.js';
import { runOf } from '../loggers/logger-wrapper.js';
import { EventName, progressRecord } from '../telemetry/events.js';
import type { HistogramInput } from '../telemetry/media.js';
import { INSTRUMENTATION_SCOPE } from '../telemetry/pipeline.js';
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
}

/**
 * Logs a training loop (the seed's `LoggingCallback(logger, log_frequency)`): every
 * `logFrequency`-th batch of an epoch, the numbers of the step's outputs as `train/<key>` with
 * `train/lr` and `train/epoch`; validation metrics as given; weight histograms as `weights/<name>`
 * every `histogramFrequency` steps; all at `trainer.globalStep`. When the loop's length is
 * known, it is announced at the start (the console shows a progress bar on a terminal).
 * Subclass it to log differently, as the seed's `CustomLoggingCallback` does.
 */
export class LoggingCallback<Model = unknown, Batch = unknown>
  implements TrainerCallback<Model, Batch>
{
  readonly logger: BaseLogger;
  readonly logFrequency: number;
  private readonly options: LoggingCallbackOptions<Model>;

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
    if (every > 0 && this.options.weights && trainer.globalStep % every === 0) {
      for (const [name, values] of this.options.weights(model)) {
        this.logger.logHistogram(`weights/${name}`, values, trainer.globalStep);
      }
    }
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
  const run = runOf(logger);
  if (!run || run.finished || !run.pipeline.consumesEvent(EventName.progress)) return;
  run.pipeline.loggerProvider.getLogger(INSTRUMENTATION_SCOPE).emit(progressRecord(totalSteps));
}
