/**
 * The demo trains a real model and its telemetry reaches every configured backend: the console,
 * an in-memory span exporter, and TensorBoard and W&B files read back by their own packages.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEMO_DEFAULTS, demoConfig, loadDemoConfig, trainDemo } from '../../src/cli/demo.js';
import { ConfigError } from '../../src/config/errors.js';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { LoggerRegistry } from '../../src/loggers/base-logger.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { loggingCallbackSettings } from '../../src/trainer/callbacks.js';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { readWandbFile } from '../exporters/wandb/wandb-python.js';
import { CaptureStream } from '../support/capture-stream.js';
import { runNode } from '../support/child.js';
import { repoRoot, requireDist } from '../support/dist.js';
import { recordingBackend } from '../support/recording-backend.js';

const EXAMPLE = join(repoRoot, 'examples/demo.yaml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jepa-demo-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('demo configuration', () => {
  it('examples/demo.yaml holds exactly the embedded defaults', () => {
    expect(parse(readFileSync(EXAMPLE, 'utf8'))).toEqual(DEMO_DEFAULTS);
    expect(loadDemoConfig(EXAMPLE)).toEqual(DEMO_DEFAULTS);
  });

  it('names the file, line and key of every problem', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'training:\n  epochs: 0\n  batch_size: many\n  sede: 1\nlogs: {}\n');
    let error: unknown;
    try {
      loadDemoConfig(file);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(
      `${file}:5: logs: unknown section; the demo reads training and logging`,
    );
    expect(message).toContain(`${file}:2: training.epochs: Too small`);
    expect(message).toContain(`${file}:3: training.batch_size: Invalid input: expected number`);
    expect(message).toContain(`${file}:4: training.sede: unknown key (did you mean 'seed'?)`);
  });

  it('leaves out backends this build does not have, and adds OTLP at an endpoint', () => {
    const config = demoConfig({ otlpEndpoint: 'http://127.0.0.1:4318' });
    expect(config.backends).toEqual(['console', 'tensorboard', 'wandb', 'otlp']);
    expect(config.otlp).toEqual({ endpoint: 'http://127.0.0.1:4318' });
    const missing = demoConfig({ logging: { backends: ['console', 'not-in-this-build'] } });
    expect(LoggerRegistry.has('not-in-this-build')).toBe(false);
    expect(missing.backends).toEqual(['console']);
  });
});

describe('a demo run', () => {
  it('trains: the loss falls, and metrics, spans and histograms reach every backend', async () => {
    const stream = new CaptureStream();
    const recording = recordingBackend();
    const logDir = join(dir, 'tb');
    const logging = {
      ...DEMO_DEFAULTS.logging,
      console: { ...DEMO_DEFAULTS.logging.console, stream },
      tensorboard: { log_dir: logDir },
      wandb: { ...DEMO_DEFAULTS.logging.wandb, dir: join(dir, 'wb') },
    };
    const config = LoggingConfig.load(demoConfig({ logging }));
    const logger = createLogger(config, {
      backends: [recording.backend],
      settings: { handle_signals: false },
    });
    // The demo's logging configuration asks for checkpoints every 100 steps and gradients.
    const settings = loggingCallbackSettings(config);
    expect(settings).toEqual({ logFrequency: 1, saveFrequency: 100, logGradients: true });
    const result = await trainDemo(DEMO_DEFAULTS.training, logger, settings);
    await logger.flush();
    const spans = recording.spans();
    await logger.finish();

    // The loss falls and the model learns the task.
    expect(result.steps).toBe(300);
    // Step 150's batch holds the corrupted record: it is skipped, the others train.
    expect(result.skipped).toBe(1);
    expect(result.losses).toHaveLength(299);
    expect(mean(result.losses.slice(-12))).toBeLessThan(mean(result.losses.slice(0, 12)) / 2);
    expect(result.validation.at(-1)!.val_accuracy).toBeGreaterThan(0.9);

    // Spans: one per step, forward and backward inside it, with the batch on the forward span;
    // the corrupted step failed after its forward pass, with the exception recorded.
    const steps = spans.filter((span) => span.name === 'trainingStep');
    expect(steps).toHaveLength(300);
    const children = (parent: ReadableSpan) =>
      spans
        .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)
        .map((span) => span.name);
    const failed = steps.filter((step) => step.status.code === SpanStatusCode.ERROR);
    expect(failed).toHaveLength(1);
    expect(steps.indexOf(failed[0]!)).toBe(149);
    expect(children(failed[0]!)).toEqual(['forward']);
    expect(failed[0]!.events[0]?.attributes?.['exception.type']).toBe('NonFiniteLossError');
    for (const step of steps.filter((s) => s !== failed[0]))
      expect(children(step)).toEqual(['forward', 'backward']);
    expect(spans.find((s) => s.name === 'forward')?.attributes['jepa.call.arg.inputs']).toBe(
      'Tensor(float32, [64, 2])',
    );

    // The console: rows, validation, weight histograms and step timings.
    const text = stream.text;
    expect(text).toMatch(
      /INFO - step 1 \| train\/loss \d\.\d{4} \| train\/accuracy .* \| train\/lr 0\.1000 \| train\/epoch 0/,
    );
    expect(text).toMatch(/INFO - step 300 \| val_loss \d\.\d{4} \| val_accuracy 0\.9\d+/);
    expect(text).toMatch(/INFO - step 60 \| histogram weights\/dense1\/kernel: n 64, /);
    expect(text).toMatch(/INFO - step \d+ \| time\/trainingStep /);
    expect(text).toMatch(
      /ERROR - step 149 \| exception in trainingStep: NonFiniteLossError: loss is NaN on a batch of 64 records; the batch is skipped\n {4}at /,
    );
    expect(text).toMatch(/INFO - run finished \(exit code 0\)\n$/);

    {
      const run = await accumulate(join(logDir, 'demo'));
      const losses = run.scalars['train/loss']!;
      // LoggingCallback logs every 4th batch of each 12-batch epoch: 3 rows an epoch.
      expect(losses.map(([step]) => step)).toEqual(
        Array.from({ length: 25 }, (_, e) => [1, 5, 9].map((b) => 12 * e + b)).flat(),
      );
      expect(Number(losses.at(-1)![1])).toBeLessThan(Number(losses[0]![1]) / 2);
      expect(run.scalars.val_accuracy).toHaveLength(25);
      expect(run.scalars['time/trainingStep']!.length).toBeGreaterThan(0);
      expect(run.histograms['weights/dense1/kernel']!.map((h) => h.step)).toEqual([
        60, 120, 180, 240, 300,
      ]);
      expect(run.histograms['gradients/dense1/kernel']!.map((h) => h.step)).toEqual([
        60, 120, 180, 240, 300,
      ]);
    }
    {
      const [runDir] = readdirSync(join(dir, 'wb', 'wandb'));
      const file = readdirSync(join(dir, 'wb', 'wandb', runDir!)).find((f) => f.endsWith('.wandb'));
      const records = await readWandbFile(join(dir, 'wb', 'wandb', runDir!, file!));
      const rows = records
        .filter((r) => r.record.history)
        .map((r) => {
          const items = r.record.history.item as { key: string; value_json: string }[];
          return Object.fromEntries(items.map((item) => [item.key, JSON.parse(item.value_json)]));
        });
      const trainLoss = rows.filter((row) => 'train/loss' in row);
      expect(trainLoss).toHaveLength(75);
      expect(trainLoss.at(-1)!['train/loss']).toBeLessThan(trainLoss[0]!['train/loss'] / 2);
      const histograms = rows.filter((row) => 'weights/dense1/kernel' in row);
      expect(histograms.map((row) => row._step)).toEqual([60, 120, 180, 240, 300]);
      expect(histograms[0]!['weights/dense1/kernel']._type).toBe('histogram');
      // A checkpoint every 100 steps, as W&B model artifacts.
      const artifacts = records.filter((r) => r.record.artifact).map((r) => r.record.artifact);
      expect(artifacts).toHaveLength(3);
      for (const artifact of artifacts) {
        expect(artifact).toMatchObject({ type: 'model', name: 'model_checkpoint' });
      }
    }
  }, 60_000);

  it('runs from the command line on examples/demo.yaml, with plain lines when piped', async () => {
    requireDist();
    const cwd = join(dir, 'cli');
    mkdirSync(cwd);
    const child = await runNode([join(repoRoot, 'dist/cli/main.js'), 'demo', '--config', EXAMPLE], {
      cwd,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', NO_COLOR: '1' },
      timeoutMs: 60_000,
    });
    expect(child.stderr).toMatch(
      /demo: run [a-z0-9]{8} finished: 300 steps in [\d.]+ s, loss 0\.\d{3} -> 0\.\d{3}, validation accuracy 0\.9\d{2}, corrupt batches skipped: 1\n$/,
    );
    expect(child.code).toBe(0);
    expect(child.stderr).not.toContain('\r');
    expect(child.stderr).not.toContain('█');
    expect(child.stderr).not.toContain('TensorFlow.js in Node.js');
    expect(child.stderr).toMatch(/ - INFO - step 300 \| val_loss /);
    expect(
      readdirSync(join(cwd, 'logs/tensorboard/demo')).some((f) => f.includes('tfevents')),
    ).toBe(true);
    expect(readdirSync(join(cwd, 'wandb')).some((d) => d.startsWith('offline-run-'))).toBe(true);
  }, 60_000);
});
