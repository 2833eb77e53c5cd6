import { describe, expect, it } from 'vitest';
import type { TrainerCallback } from '../../src/trainer/callbacks.js';
import { optimizerState, Trainer } from '../../src/trainer/trainer.js';

/** Writes down every hook call as `hook@globalStep/epoch`. */
function recorder(log: string[]): TrainerCallback<string, number> {
  const at = (hook: string, t: { globalStep: number; epoch: number }, extra = ''): void => {
    log.push(`${hook}@${t.globalStep}/${t.epoch}${extra}`);
  };
  return {
    onTrainBegin: (t) => at('trainBegin', t, ` total=${t.totalSteps}`),
    onEpochBegin: (t) => at('epochBegin', t),
    onBatchBegin: (t, _m, batch, i) => at('batchBegin', t, ` b=${batch} i=${i}`),
    onBatchEnd: (t, _m, outputs, batch, i) =>
      at('batchEnd', t, ` b=${batch} i=${i} loss=${outputs.loss}`),
    onValidationEnd: (t, _m, metrics) => at('validationEnd', t, ` ${JSON.stringify(metrics)}`),
    onEpochEnd: (t) => at('epochEnd', t),
    onTrainEnd: (t) => at('trainEnd', t),
  };
}

describe('Trainer', () => {
  it('calls the hooks in order, with the global step counting finished batches', async () => {
    const log: string[] = [];
    const trainer = new Trainer<string, number>({
      model: 'm',
      data: [10, 20],
      epochs: 2,
      trainStep: async (batch) => ({ loss: batch / 10 }),
      validate: (_model, t) => ({ val_loss: t.epoch }),
      callbacks: [recorder(log)],
    });
    await trainer.fit();
    expect(log).toEqual([
      'trainBegin@0/0 total=4',
      'epochBegin@0/0',
      'batchBegin@0/0 b=10 i=0',
      'batchEnd@1/0 b=10 i=0 loss=1',
      'batchBegin@1/0 b=20 i=1',
      'batchEnd@2/0 b=20 i=1 loss=2',
      'validationEnd@2/0 {"val_loss":0}',
      'epochEnd@2/0',
      'epochBegin@2/1',
      'batchBegin@2/1 b=10 i=0',
      'batchEnd@3/1 b=10 i=0 loss=1',
      'batchBegin@3/1 b=20 i=1',
      'batchEnd@4/1 b=20 i=1 loss=2',
      'validationEnd@4/1 {"val_loss":1}',
      'epochEnd@4/1',
      'trainEnd@4/1',
    ]);
  });

  it('knows its length from an array, from stepsPerEpoch, and not from a plain iterable', () => {
    const make = (data: Iterable<number> | (() => Iterable<number>), stepsPerEpoch?: number) =>
      new Trainer({ model: 0, data, epochs: 3, stepsPerEpoch, trainStep: () => ({}) }).totalSteps;
    expect(make([1, 2])).toBe(6);
    expect(make(() => [1, 2], 5)).toBe(15);
    expect(make(new Set([1, 2]))).toBeUndefined();
  });

  it('takes batches from an async iterable made per epoch', async () => {
    const seen: string[] = [];
    async function* batches(epoch: number) {
      yield `${epoch}a`;
      yield `${epoch}b`;
    }
    await new Trainer<null, string>({
      model: null,
      data: batches,
      epochs: 2,
      trainStep: (batch) => {
        seen.push(batch);
        return {};
      },
    }).fit();
    expect(seen).toEqual(['0a', '0b', '1a', '1b']);
  });

  it('lets timers run during a long synchronous loop', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    await new Trainer({
      model: null,
      data: Array.from({ length: 40 }, (_, i) => i),
      trainStep: () => {
        busy(5);
        return {};
      },
    }).fit();
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(4);
  });

  it('reads the learning rate of an optimizer that keeps it in a property, at each access', () => {
    const optimizer = { learningRate: 0.1 };
    const state = optimizerState(optimizer);
    optimizer.learningRate = 0.05;
    expect(state.paramGroups[0]?.lr).toBe(0.05);
    expect(optimizerState(undefined).paramGroups).toEqual([]);
  });

  it('rejects a bad number of epochs', () => {
    expect(() => new Trainer({ model: 0, data: [], epochs: 1.5, trainStep: () => ({}) })).toThrow(
      'Trainer: epochs must be a non-negative integer, got 1.5',
    );
  });
});
