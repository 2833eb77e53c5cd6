/**
 * A small trainer protocol for TypeScript training loops, and a minimal loop that keeps it. What
 * callbacks see of a loop (`TrainerState`) mirrors what the Python API's callbacks read from its
 * trainer: `trainer.globalStep` and `trainer.optimizer.paramGroups[0].lr`.
 */
import type { TrainerCallback } from './callbacks.js';

/** An optimizer as callbacks see it: PyTorch-style parameter groups with a learning rate. */
export interface OptimizerState {
  readonly paramGroups: readonly { readonly lr: number }[];
}

/** What callbacks see of a training loop. */
export interface TrainerState {
  /** Optimizer steps completed; in `onBatchEnd` it already counts the batch just done. */
  readonly globalStep: number;
  /** The current epoch, from 0. */
  readonly epoch: number;
  /** The `globalStep` at which training is complete, when the loop's length is known. */
  readonly totalSteps: number | undefined;
  readonly optimizer: OptimizerState;
}

/** What a training step returns: `{loss: 0.5, accuracy: 0.9}`; numbers are logged. */
export type StepOutputs = Readonly<Record<string, unknown>>;

/** Validation results: `{val_loss: 0.4, val_accuracy: 0.92}`. */
export type ValidationMetrics = Readonly<Record<string, number>>;

/**
 * An optimizer: one with parameter groups, or one with a `learningRate` property (TensorFlow.js
 * optimizers keep theirs there), read at each access so schedules show.
 */
export type OptimizerLike = OptimizerState | { readonly learningRate: number };

export type Batches<Batch> = Iterable<Batch> | AsyncIterable<Batch>;

export interface TrainerOptions<Model, Batch> {
  readonly model: Model;
  /** One optimization step on `batch`; returns what was measured (`{loss}`). */
  readonly trainStep: (
    batch: Batch,
    trainer: Trainer<Model, Batch>,
  ) => StepOutputs | Promise<StepOutputs>;
  /** The batches of an epoch: an array or iterable, or a function of the epoch giving them. */
  readonly data: Batches<Batch> | ((epoch: number) => Batches<Batch>);
  /** Default 1. */
  readonly epochs?: number;
  /** Batches per epoch, when `data` has no length; makes the length known (progress bars). */
  readonly stepsPerEpoch?: number;
  /** Runs after each epoch; its metrics go to `onValidationEnd`. */
  readonly validate?: (
    model: Model,
    trainer: Trainer<Model, Batch>,
  ) => ValidationMetrics | Promise<ValidationMetrics>;
  /** The optimizer callbacks read the learning rate from. */
  readonly optimizer?: OptimizerLike;
  readonly callbacks?: readonly TrainerCallback<Model, Batch>[];
}

/** How long a synchronous loop may run before it lets timers and exporters have a turn. */
const YIELD_EVERY_MS = 25;

/** A minimal training loop: epochs of batches, a step function, validation, callbacks. */
export class Trainer<Model = unknown, Batch = unknown> implements TrainerState {
  readonly model: Model;
  readonly optimizer: OptimizerState;
  readonly epochs: number;
  readonly totalSteps: number | undefined;
  readonly callbacks: readonly TrainerCallback<Model, Batch>[];
  globalStep = 0;
  epoch = 0;

  constructor(private readonly options: TrainerOptions<Model, Batch>) {
    this.model = options.model;
    this.epochs = options.epochs ?? 1;
    if (!Number.isInteger(this.epochs) || this.epochs < 0) {
      throw new RangeError(`Trainer: epochs must be a non-negative integer, got ${this.epochs}`);
    }
    this.optimizer = optimizerState(options.optimizer);
    this.callbacks = options.callbacks ?? [];
    const perEpoch =
      options.stepsPerEpoch ??
      (typeof options.data !== 'function' && Array.isArray(options.data)
        ? options.data.length
        : undefined);
    this.totalSteps = perEpoch === undefined ? undefined : perEpoch * this.epochs;
  }

  /** Runs every epoch, calling the callbacks' hooks in order. */
  async fit(): Promise<void> {
    const { model } = this;
    let lastYield = performance.now();
    await this.each((c) => c.onTrainBegin?.(this, model));
    for (this.epoch = 0; this.epoch < this.epochs; this.epoch++) {
      await this.each((c) => c.onEpochBegin?.(this, model));
      const data = this.options.data;
      let batchIdx = 0;
      for await (const batch of typeof data === 'function' ? data(this.epoch) : data) {
        await this.each((c) => c.onBatchBegin?.(this, model, batch, batchIdx));
        const outputs = await this.options.trainStep(batch, this);
        this.globalStep++;
        await this.each((c) => c.onBatchEnd?.(this, model, outputs, batch, batchIdx));
        batchIdx++;
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
      if (this.options.validate) {
        const metrics = await this.options.validate(model, this);
        await this.each((c) => c.onValidationEnd?.(this, model, metrics));
      }
      await this.each((c) => c.onEpochEnd?.(this, model));
    }
    this.epoch = Math.max(0, this.epochs - 1);
    await this.each((c) => c.onTrainEnd?.(this, model));
  }

  private async each(
    hook: (callback: TrainerCallback<Model, Batch>) => void | Promise<void>,
  ): Promise<void> {
    for (const callback of this.callbacks) await hook(callback);
  }
}

/** `optimizer` as parameter groups, reading a `learningRate` property live. */
export function optimizerState(optimizer: OptimizerLike | undefined): OptimizerState {
  if (optimizer === undefined) return { paramGroups: [] };
  if ('paramGroups' in optimizer) return optimizer;
  return {
    get paramGroups() {
      return [{ lr: optimizer.learningRate }];
    },
  };
}
