/**
 * Trainer callbacks inside TensorFlow.js `model.fit` and `model.fitDataset`: `tfjsCallbacks`
 * turns callbacks such as `LoggingCallback` into the callbacks object `fit` takes. It counts a
 * global step across batches (and across fits, with `initialStep`), reads the learning rate from
 * the model's optimizer, knows the loop's length from fit's own parameters, and hands
 * validation results (`val_*`) to `onValidationEnd` at each epoch's end.
 *
 * Only types come from `@tensorflow/tfjs`: the adapter works with whichever copy of it (or of
 * `@tensorflow/tfjs-node`) the application trains with.
 *
 * @module jepa-loggers/trainer/tfjs
 */
import type { CustomCallbackArgs, LayersModel, Logs } from '@tensorflow/tfjs';
import type { HistogramInput } from '../events/media.js';
import type { TrainerCallback } from './callbacks.js';
import type { OptimizerState, TrainerState } from './trainer.js';

export interface TfjsCallbackOptions {
  /** The model being fit: callbacks receive it, and its optimizer's learning rate is read. */
  readonly model?: LayersModel;
  /** Steps done before this fit, so that a second fit continues the count. Default 0. */
  readonly initialStep?: number;
  /** The loop's length in steps, when fit cannot tell (a dataset without batchesPerEpoch). */
  readonly totalSteps?: number;
}

/** What fit tells its callbacks about the loop (tfjs `CallbackList.setParams`). */
interface FitParams {
  readonly epochs?: number;
  readonly initialEpoch?: number;
  readonly samples?: number | null;
  readonly steps?: number | null;
  readonly batchSize?: number;
}

/** The callbacks (one or a list) for `model.fit({callbacks})`. */
export function tfjsCallbacks(
  callbacks:
    | TrainerCallback<LayersModel | undefined, Logs>
    | readonly TrainerCallback<LayersModel | undefined, Logs>[],
  options: TfjsCallbackOptions = {},
): CustomCallbackArgs {
  const list = Array.isArray(callbacks) ? callbacks : [callbacks as TrainerCallback];
  const { model } = options;
  const state: { -readonly [K in keyof TrainerState]: TrainerState[K] } = {
    globalStep: options.initialStep ?? 0,
    epoch: 0,
    totalSteps: options.totalSteps,
    optimizer: optimizerOf(model),
  };
  const each = async (
    hook: (callback: TrainerCallback<LayersModel | undefined, Logs>) => void | Promise<void>,
  ) => {
    for (const callback of list) await hook(callback);
  };
  return {
    // tfjs calls these as methods of its CustomCallback, whose `params` describe the loop.
    async onTrainBegin(this: { params?: FitParams } | undefined) {
      state.totalSteps = options.totalSteps ?? lengthOf(this?.params, state.globalStep);
      await each((c) => c.onTrainBegin?.(state, model));
    },
    async onEpochBegin(epoch) {
      state.epoch = epoch;
      await each((c) => c.onEpochBegin?.(state, model));
    },
    async onBatchBegin(batch, logs) {
      await each((c) => c.onBatchBegin?.(state, model, logs ?? {}, batch));
    },
    async onBatchEnd(batch, logs) {
      state.globalStep++;
      const outputs = withoutBatchInfo(logs);
      await each((c) => c.onBatchEnd?.(state, model, outputs, logs ?? {}, batch));
    },
    async onEpochEnd(epoch, logs) {
      state.epoch = epoch;
      const validation = Object.fromEntries(
        Object.entries(logs ?? {}).filter(
          (entry): entry is [string, number] =>
            entry[0].startsWith('val_') && typeof entry[1] === 'number',
        ),
      );
      if (Object.keys(validation).length > 0)
        await each((c) => c.onValidationEnd?.(state, model, validation));
      await each((c) => c.onEpochEnd?.(state, model));
    },
    async onTrainEnd() {
      await each((c) => c.onTrainEnd?.(state, model));
    },
  };
}

/** A layers model's weights by name, for `LoggingCallback`'s `weights` option. */
export function layersModelWeights(
  model: LayersModel | undefined,
): Array<readonly [string, HistogramInput]> {
  return (model?.weights ?? []).map((weight) => [weight.name, weight.read().dataSync()] as const);
}

/** The step at which the fit is complete: its epochs times its batches per epoch. */
function lengthOf(params: FitParams | undefined, startStep: number): number | undefined {
  if (!params?.epochs) return undefined;
  const perEpoch =
    params.steps ??
    (params.samples && params.batchSize ? Math.ceil(params.samples / params.batchSize) : undefined);
  if (!perEpoch) return undefined;
  return startStep + (params.epochs - (params.initialEpoch ?? 0)) * perEpoch;
}

function optimizerOf(model: LayersModel | undefined): OptimizerState {
  return {
    get paramGroups() {
      // A protected field of tfjs optimizers, public at run time; read at each access.
      const lr = (model?.optimizer as unknown as { learningRate?: unknown } | undefined)
        ?.learningRate;
      return typeof lr === 'number' ? [{ lr }] : [];
    },
  };
}

/** A batch's logs without `batch` and `size`, which say which batch it was, not how it went. */
function withoutBatchInfo(logs: Logs | undefined): Logs {
  const { batch: _batch, size: _size, ...measured } = logs ?? {};
  return measured;
}
