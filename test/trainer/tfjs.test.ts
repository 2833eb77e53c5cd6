import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeTrainingEvent } from '../../src/events/events.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { LoggingCallback } from '../../src/trainer/callbacks.js';
import { layersModelWeights, tfjsCallbacks } from '../../src/trainer/tfjs.js';
import { memoryBackend } from '../support/memory-sink.js';
import { recordingBackend } from '../support/recording-backend.js';

const open: TelemetryLogger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

function recordedLogger() {
  const { sink, backend } = memoryBackend();
  const recording = recordingBackend();
  const logger = new TelemetryLogger({}, () => [backend, recording.backend], {
    settings: { handle_signals: false },
  });
  open.push(logger);
  return { logger, sink, recording };
}

/** 64 points, label = x0 > x1, and a small classifier compiled with SGD at 0.05. */
function problem() {
  const xs = tf.tidy(() => tf.randomUniform([64, 2], -1, 1, 'float32', 3));
  const ys = tf.tidy(() =>
    xs
      .slice([0, 0], [64, 1])
      .greater(xs.slice([0, 1], [64, 1]))
      .toFloat(),
  );
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({
    optimizer: tf.train.sgd(0.05),
    loss: 'binaryCrossentropy',
    metrics: ['accuracy'],
  });
  return { xs, ys, model };
}

describe('tfjsCallbacks', () => {
  it('logs model.fit batches at global steps, validation at epoch ends, weights, and the length', async () => {
    const { logger, sink, recording } = recordedLogger();
    const { xs, ys, model } = problem();
    // Another callback that writes down what tfjs itself reports, to compare with.
    const reported: { loss: number; acc: number }[] = [];
    const history = await model.fit(xs, ys, {
      epochs: 3,
      batchSize: 16,
      validationSplit: 0.25,
      shuffle: false,
      callbacks: [
        tfjsCallbacks(
          new LoggingCallback(logger, 1, { histogramFrequency: 3, weights: layersModelWeights }),
          { model },
        ),
        {
          onBatchEnd: (_batch: number, logs?: tf.Logs) => {
            reported.push({ loss: logs!.loss!, acc: logs!.acc! });
          },
        },
      ],
    });
    await logger.flush();

    // 48 training samples (a quarter held out) in batches of 16: 3 steps per epoch, 9 in all.
    const trainRows = sink.rows.filter((row) => 'train/loss' in row.values);
    expect(trainRows.map((row) => row.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    trainRows.forEach((row, i) => {
      expect(row.values).toEqual({
        'train/loss': reported[i]!.loss,
        'train/acc': reported[i]!.acc,
        'train/lr': 0.05,
        'train/epoch': Math.floor(i / 3),
      });
    });
    const validation = sink.rows.filter((row) => 'val_loss' in row.values);
    expect(validation.map((row) => [row.step, row.values.val_loss])).toEqual(
      history.history.val_loss!.map((loss, epoch) => [3 * (epoch + 1), loss]),
    );
    const histograms = sink.events.filter((e) => e.kind === 'histogram');
    const names = model.weights.map((w) => `weights/${w.name}`);
    expect(histograms.map((h) => [h.step, h.tag])).toEqual([
      ...names.map((name) => [3, name]),
      ...names.map((name) => [6, name]),
      ...names.map((name) => [9, name]),
    ]);
    const progress = recording
      .logs()
      .map((record) => decodeTrainingEvent(record))
      .filter((event) => event?.kind === 'progress');
    expect(progress).toMatchObject([{ total: 9 }]);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('continues the step count over a second fit, and takes the length when fit cannot tell', async () => {
    const { logger, sink, recording } = recordedLogger();
    const { xs, ys, model } = problem();
    const callback = new LoggingCallback(logger, 1);
    await model.fit(xs, ys, {
      epochs: 1,
      batchSize: 32,
      callbacks: tfjsCallbacks(callback, { model }),
    });
    const dataset = tf.data
      .zip({
        xs: tf.data.array(xs.arraySync() as number[][]),
        ys: tf.data.array(ys.arraySync() as number[][]),
      })
      .batch(32);
    await model.fitDataset(dataset, {
      epochs: 1,
      callbacks: tfjsCallbacks(callback, { model, initialStep: 2, totalSteps: 4 }),
    });
    await logger.flush();
    expect(sink.rows.map((row) => row.step)).toEqual([1, 2, 3, 4]);
    const totals = recording
      .logs()
      .map((record) => decodeTrainingEvent(record))
      .filter((event) => event?.kind === 'progress')
      .map((event) => (event as { total: number }).total);
    expect(totals).toEqual([2, 4]);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
