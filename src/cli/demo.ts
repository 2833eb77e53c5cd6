/**
 * The demo: a real training run logged through `createLogger`. A two-layer TensorFlow.js network
 * (pure JavaScript backend) learns the two-moons dataset. Every step is a span (`trainingStep`,
 * containing `forward` and `backward`); loss, accuracy and learning rate go to every backend,
 * with validation after each epoch and weight histograms every few steps; on a terminal the
 * console shows a progress bar. One batch holds a corrupted record: its step raises, the
 * exception is logged (span, counter, console) and the batch is skipped, as a careful training
 * loop does.
 *
 * `jepa-loggers demo [--config FILE]` reads a YAML file with `training:` and `logging:` sections;
 * without one it uses the embedded defaults, which examples/demo.yaml repeats: the console,
 * TensorBoard (`logs/tensorboard`) and W&B offline (`wandb/`), each when this build has it, and
 * OTLP when an endpoint is configured or a Collector listens on the default local port.
 */
import { connect } from 'node:net';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, type ConfigProblem } from '../config/errors.js';
import { LoggingConfig } from '../config/logging-config.js';
import { describe } from '../config/sections/common.js';
import { closestMatch } from '../config/suggest.js';
import { loadYamlFile } from '../config/yaml.js';
import * as z from '../config/zod.js';
import { otlpConfiguredByEnv } from '../exporters/otlp/otlp-backend.js';
import { type BaseLogger, LoggerRegistry } from '../loggers/base-logger.js';
import { logExceptions, logExecutionTime, logFunctionCalls } from '../loggers/decorators.js';
import { createLogger, customBackendNames } from '../loggers/multi-logger.js';
import type { TelemetryLoggerOptions } from '../loggers/telemetry-logger.js';
import { LoggingCallback, loggingCallbackSettings } from '../trainer/callbacks.js';
import { Trainer, type ValidationMetrics } from '../trainer/trainer.js';
import { isPlainObject } from '../values.js';
import { batchIndices, split, twoMoons } from './demo-data.js';
import { type ForwardPass, type Gradients, TwoLayerNet } from './demo-model.js';

const LOCAL_OTLP_HTTP = { host: '127.0.0.1', port: 4318 };

/** The embedded configuration; examples/demo.yaml is the same, as a file. */
export const DEMO_DEFAULTS = {
  training: {
    samples: 1024,
    noise: 0.15,
    validation_split: 0.25,
    hidden_units: 32,
    batch_size: 64,
    epochs: 25,
    learning_rate: 0.1,
    final_learning_rate: 0.005,
    momentum: 0.9,
    log_frequency: 4,
    histogram_frequency: 60,
    corrupt_batch_step: 150,
    step_time: 0,
    seed: 7,
  },
  logging: {
    backends: ['console', 'tensorboard', 'wandb'],
    project: 'jepa-demo',
    run_name: 'demo',
    save_frequency: 100,
    // The demo's loop awaits every batch (TensorFlow.js), so a signal can finish the run.
    handle_signals: true,
    console: {
      level: 'INFO',
      format: '%(asctime)s - %(levelname)s - %(message)s',
      colored: true,
      log_frequency: 20,
    },
    tensorboard: { log_dir: 'logs/tensorboard' },
    wandb: { mode: 'offline', project: 'jepa-demo', log_model: true, log_gradients: true },
  },
};

const trainingSchema = z.strictObject({
  samples: describe(z.int().check(z.gte(8)), 'Points in the dataset'),
  noise: describe(z.number().check(z.gte(0)), 'Standard deviation of the noise on each coordinate'),
  validation_split: describe(z.number().check(z.gt(0), z.lt(1)), 'Fraction of points held out'),
  hidden_units: z.int().check(z.gte(1)),
  batch_size: z.int().check(z.gte(1)),
  epochs: z.int().check(z.gte(1)),
  learning_rate: describe(z.number().check(z.positive()), 'Learning rate at the first step'),
  final_learning_rate: describe(
    z.number().check(z.positive()),
    'Learning rate at the last step (cosine)',
  ),
  momentum: z.number().check(z.gte(0), z.lt(1)),
  log_frequency: describe(z.int().check(z.gte(1)), 'Batches between logged training rows'),
  histogram_frequency: describe(z.int().check(z.gte(0)), 'Steps between weight histograms'),
  corrupt_batch_step: describe(
    z.int().check(z.gte(0)),
    'The step whose batch holds a corrupted (NaN) record, to show exception logging; 0: none',
  ),
  step_time: describe(
    z.number().check(z.gte(0)),
    'Seconds each step waits, as a heavier model would take: a run long enough to follow live in Grafana',
  ),
  seed: z.int(),
});
export type DemoTraining = z.output<typeof trainingSchema>;

export interface DemoConfig {
  readonly training: DemoTraining;
  readonly logging: Record<string, unknown>;
}

/** Reads a demo configuration file, or returns the embedded defaults. */
export function loadDemoConfig(file?: string): DemoConfig {
  if (file === undefined) return DEMO_DEFAULTS;
  const source = loadYamlFile(file);
  const problem = (path: (string | number)[], message: string): ConfigProblem => ({
    path: path.join('.'),
    message,
    file,
    line: source.lineOf(path),
  });
  const data = source.data;
  if (!isPlainObject(data)) throw new ConfigError([problem([], 'expected a mapping')]);
  const problems = Object.keys(data)
    .filter((key) => key !== 'training' && key !== 'logging')
    .map((key) => problem([key], 'unknown section; the demo reads training and logging'));
  const training = trainingSchema.safeParse({ ...DEMO_DEFAULTS.training, ...asMap(data.training) });
  if (!training.success) {
    for (const issue of training.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      for (const key of keys) {
        const suggestion = closestMatch(key, Object.keys(trainingSchema.shape));
        problems.push({ ...problem(['training', key], 'unknown key'), suggestion });
      }
      if (keys.length === 0)
        problems.push(problem(['training', ...issue.path.map(String)], issue.message));
    }
  }
  if (problems.length > 0 || !training.success) throw new ConfigError(problems);
  const logging = data.logging === undefined ? DEMO_DEFAULTS.logging : asMap(data.logging);
  return { training: training.data, logging };
}

/**
 * The logging configuration the demo runs with: the backends this build has (the others are
 * left out, with a note), plus OTLP at `otlpEndpoint`.
 */
export function demoConfig(
  options: { otlpEndpoint?: string; logging?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const logging: Record<string, unknown> = options.logging ?? DEMO_DEFAULTS.logging;
  const listed = Array.isArray(logging.backends) ? (logging.backends as string[]) : ['console'];
  const available = listed.filter((name) => LoggerRegistry.has(name));
  const missing = listed.filter((name) => !LoggerRegistry.has(name));
  if (missing.length > 0 && options.logging !== undefined) {
    process.stderr.write(`demo: ${missing.join(', ')} not available in this build; left out\n`);
  }
  return {
    ...logging,
    backends:
      options.otlpEndpoint && !available.includes('otlp') ? [...available, 'otlp'] : available,
    ...(options.otlpEndpoint
      ? { otlp: { ...asMap(logging.otlp), endpoint: options.otlpEndpoint } }
      : {}),
  };
}

/** What a demo run measured. */
export interface DemoResult {
  /** The training loss at each step. */
  readonly losses: readonly number[];
  /** The validation metrics after each epoch. */
  readonly validation: readonly ValidationMetrics[];
  readonly steps: number;
  /** Batches skipped because their loss was not finite. */
  readonly skipped: number;
}

/** A training step's loss is NaN or infinite: the batch must not update the weights. */
export class NonFiniteLossError extends Error {
  constructor(loss: number, records: number) {
    super(`loss is ${loss} on a batch of ${records} records; the batch is skipped`);
    this.name = 'NonFiniteLossError';
  }
}

/** What the logging configuration asks of the training loop (`loggingCallbackSettings`). */
export interface DemoCallbackSettings {
  /** Steps between checkpoints handed to `logModel` (0: none). */
  readonly saveFrequency: number;
  /** Log gradient histograms with the weight histograms. */
  readonly logGradients: boolean;
}

/** Trains the demo's network, logging through `logger` (which the caller finishes). */
export async function trainDemo(
  training: DemoTraining,
  logger: BaseLogger,
  settings: DemoCallbackSettings = { saveFrequency: 0, logGradients: false },
): Promise<DemoResult> {
  // The pure-JavaScript backend; production mode skips debug checks and tfjs's own notices.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const data = twoMoons({ samples: training.samples, noise: training.noise, seed: training.seed });
  const [train, validation] = split(data, Math.round(data.size * (1 - training.validation_split)));
  // One corrupted record after the training points, as real datasets have them.
  const corruptRecord = train.size;
  const tensors = {
    trainX: tf.tensor2d([...train.features, Number.NaN, Number.NaN], [train.size + 1, 2]),
    trainY: tf.tensor1d([...train.labels, 0], 'int32'),
    validationX: tf.tensor2d(validation.features, [validation.size, 2]),
    validationY: tf.tensor1d(validation.labels, 'int32'),
  };
  const net = new TwoLayerNet({
    inputs: 2,
    hidden: training.hidden_units,
    classes: 2,
    seed: training.seed,
  });
  const optimizer = tf.train.momentum(training.learning_rate, training.momentum);
  const stepsPerEpoch = Math.ceil(train.size / training.batch_size);
  const steps = stepsPerEpoch * training.epochs;
  const learningRateAt = (step: number) =>
    training.final_learning_rate +
    0.5 *
      (training.learning_rate - training.final_learning_rate) *
      (1 + Math.cos((Math.PI * step) / steps));
  let learningRate = training.learning_rate;
  const learner = createLearner(logger, net, optimizer, tensors, settings.logGradients);
  const losses: number[] = [];
  const results: ValidationMetrics[] = [];
  let skipped = 0;
  const batchesOf = (epoch: number) => {
    const batches = batchIndices(train.size, training.batch_size, training.seed + epoch);
    const corrupt = training.corrupt_batch_step - 1 - epoch * stepsPerEpoch;
    if (corrupt >= 0 && corrupt < batches.length) batches[corrupt]![0] = corruptRecord;
    return batches;
  };
  const trainer = new Trainer<TwoLayerNet, Int32Array>({
    model: net,
    data: batchesOf,
    epochs: training.epochs,
    stepsPerEpoch,
    optimizer: {
      get learningRate() {
        return learningRate;
      },
    },
    trainStep: async (batch, { globalStep }) => {
      learningRate = learningRateAt(globalStep);
      optimizer.setLearningRate(learningRate);
      if (training.step_time > 0) await sleep(training.step_time * 1000);
      try {
        const outputs = learner.trainingStep(batch);
        losses.push(outputs.loss);
        return outputs;
      } catch (error) {
        // Logged by the step's decorator; the run goes on without this batch.
        if (!(error instanceof NonFiniteLossError)) throw error;
        skipped++;
        return {};
      }
    },
    validate: () => {
      const metrics = learner.validate();
      results.push(metrics);
      return metrics;
    },
    callbacks: [
      new LoggingCallback<TwoLayerNet, Int32Array>(logger, training.log_frequency, {
        histogramFrequency: training.histogram_frequency,
        weights: (model) => [...model.weights].map(([name, w]) => [name, w.dataSync()] as const),
        logGradients: settings.logGradients,
        gradients: (outputs) =>
          Object.entries((outputs.gradients ?? {}) as Record<string, Float32Array>),
        saveFrequency: settings.saveFrequency,
        // The weights as JSON: a checkpoint the W&B artifact keeps and anyone can load back.
        checkpoint: (model) =>
          new TextEncoder().encode(
            JSON.stringify(
              Object.fromEntries(
                [...model.weights].map(([name, w]) => [name, Array.from(w.dataSync())]),
              ),
            ),
          ),
      }),
    ],
  });
  logger.logHyperparams({ ...training, steps });
  try {
    await trainer.fit();
  } finally {
    optimizer.dispose();
    net.dispose();
    tf.dispose(Object.values(tensors));
  }
  return { losses, validation: results, steps, skipped };
}

/**
 * The network's steps as methods of a class whose decorators log to `logger`: each training step
 * is a timed span with its forward and backward passes as child spans (with their arguments).
 */
function createLearner(
  logger: BaseLogger,
  net: TwoLayerNet,
  optimizer: tf.Optimizer,
  tensors: {
    trainX: tf.Tensor2D;
    trainY: tf.Tensor1D;
    validationX: tf.Tensor2D;
    validationY: tf.Tensor1D;
  },
  keepGradients: boolean,
) {
  class Learner {
    @logExecutionTime(logger)
    @logExceptions(logger)
    trainingStep(indices: Int32Array): {
      loss: number;
      accuracy: number;
      gradients?: Record<string, Float32Array>;
    } {
      return tf.tidy(() => {
        const rows = tf.tensor1d(indices, 'int32');
        const pass = this.forward(tensors.trainX.gather(rows), tensors.trainY.gather(rows));
        const loss = pass.loss.dataSync()[0]!;
        if (!Number.isFinite(loss)) throw new NonFiniteLossError(loss, indices.length);
        const gradients = this.backward(pass);
        net.update(optimizer, gradients);
        return {
          loss,
          accuracy: pass.accuracy.dataSync()[0]!,
          ...(keepGradients
            ? {
                gradients: Object.fromEntries(
                  Object.entries(gradients).map(([name, g]) => [
                    name,
                    g.dataSync() as Float32Array,
                  ]),
                ),
              }
            : {}),
        };
      });
    }

    @logFunctionCalls(logger)
    forward(inputs: tf.Tensor2D, labels: tf.Tensor1D): ForwardPass {
      return net.forward(inputs, labels);
    }

    @logFunctionCalls(logger)
    backward(pass: ForwardPass): Gradients {
      return net.backward(pass);
    }

    @logExecutionTime(logger)
    validate(): ValidationMetrics {
      return tf.tidy(() => {
        const pass = net.forward(tensors.validationX, tensors.validationY);
        return { val_loss: pass.loss.dataSync()[0]!, val_accuracy: pass.accuracy.dataSync()[0]! };
      });
    }
  }
  return new Learner();
}

export async function runDemo(
  args: readonly string[],
  options: TelemetryLoggerOptions = {},
): Promise<number> {
  const file = configArgument(args);
  const config = loadDemoConfig(file);
  // createLogger adds otlp itself when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise look for a
  // Collector on this machine.
  const local = `http://${LOCAL_OTLP_HTTP.host}:${LOCAL_OTLP_HTTP.port}`;
  const otlpEndpoint =
    !otlpConfiguredByEnv(options.env) &&
    (await listening(LOCAL_OTLP_HTTP.host, LOCAL_OTLP_HTTP.port))
      ? local
      : undefined;
  const logging = LoggingConfig.load(
    demoConfig({ otlpEndpoint, logging: file === undefined ? undefined : config.logging }),
    { env: options.env, diagnostics: options.diagnostics, customBackends: customBackendNames() },
  );
  const logger = createLogger(logging, options);
  const started = performance.now();
  let result: DemoResult;
  try {
    result = await trainDemo(config.training, logger, loggingCallbackSettings(logging));
  } catch (error) {
    await logger.finish({ exitCode: 1 });
    throw error;
  }
  await logger.finish();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const first = result.losses[0] ?? Number.NaN;
  const last = result.losses.at(-1) ?? Number.NaN;
  const accuracy = result.validation.at(-1)?.val_accuracy ?? Number.NaN;
  process.stderr.write(
    `demo: run ${logger.identity.id} finished: ${result.steps} steps in ${seconds} s, ` +
      `loss ${first.toFixed(3)} -> ${last.toFixed(3)}, validation accuracy ${accuracy.toFixed(3)}` +
      `${result.skipped > 0 ? `, corrupt batches skipped: ${result.skipped}` : ''}\n`,
  );
  return 0;
}

/** The value of `--config FILE` (or `--config=FILE`); other arguments are errors. */
function configArgument(args: readonly string[]): string | undefined {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--config' && i + 1 < args.length) file = args[++i];
    else if (arg.startsWith('--config=')) file = arg.slice('--config='.length);
    else throw new Error(`demo: unexpected argument '${arg}'; usage: demo [--config FILE]`);
  }
  return file;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function asMap(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 300 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
