/**
 * The seed's sections Multi Logger, Logger Factory, Configuration (its YAML into createLogger),
 * Basic Logging Setup and Logger Middleware (on a WandbLogger), as written, with every backend checked by its real reader: TensorBoard's
 * event accumulator and the wandb package's protobufs. W&B runs offline (no server needed).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, MultiLogger } from '../../src/loggers/multi-logger.js';
import { WandbLogger } from '../../src/loggers/wandb-logger.js';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { readWandbFile } from '../exporters/wandb/wandb-python.js';
import { CaptureStream } from '../support/capture-stream.js';
import { MetricFilterMiddleware } from '../support/metric-filter-middleware.js';
import { parseWandbJson } from '../support/wandb-server.js';

const SEED_YAML = join(import.meta.dirname, '../fixtures/config/seed-logging.yaml');
const savedCwd = process.cwd();
const savedEnv = { ...process.env };
let workdir: string;

beforeAll(() => {
  // The seed's examples write to relative paths (logs, logs/tb) and W&B offline to ./wandb.
  workdir = mkdtempSync(join(tmpdir(), 'jepa-multi-'));
  process.chdir(workdir);
  Object.assign(process.env, { WANDB_MODE: 'offline', WANDB_SILENT: 'true' });
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
});
afterAll(() => {
  process.chdir(savedCwd);
  process.env = { ...savedEnv };
});

const settings = (runName: string) => ({ run_name: runName, handle_signals: false });

/** TensorBoard's view of one run directory: tag -> [[step, value], ...]. */
async function tensorboardScalars(runDir: string): Promise<Record<string, [number, number][]>> {
  const run = await accumulate(runDir);
  return Object.fromEntries(
    Object.entries(run.scalars).map(([tag, points]) => [
      tag,
      points.map(([step, value]) => [step, Number(value)]),
    ]),
  );
}

/** The history rows of the only W&B offline run under `dir`, as the wandb package reads them. */
async function wandbRows(dir: string, runId: string): Promise<Record<string, unknown>[]> {
  const runDir = readdirSync(join(dir, 'wandb')).find((name) => name.endsWith(`-${runId}`));
  if (!runDir) throw new Error(`no W&B run ${runId} in ${dir}/wandb`);
  const records = await readWandbFile(join(dir, 'wandb', runDir, `run-${runId}.wandb`));
  return records
    .filter((r) => r.record.history)
    .map((r) => {
      const row: Record<string, unknown> = {};
      for (const item of r.record.history.item) {
        if (!item.key.startsWith('_') || item.key === '_step')
          row[item.key] = parseWandbJson(item.value_json);
      }
      return row;
    });
}

describe('seed: Multi Logger', () => {
  it('the list form logs to every backend at once', async () => {
    const console = new CaptureStream();
    const logger = new MultiLogger(
      [
        ['console', { level: 'INFO', stream: console }],
        ['wandb', { project: 'jepa' }],
        ['tensorboard', { log_dir: 'logs' }],
      ],
      { settings: settings('list-form') },
    );
    logger.logMetrics({ loss: 0.5 }, 100);
    await logger.finish();
    expect(console.lines[0]).toMatch(/ - INFO - step 100 \| loss 0\.5000$/);
    expect(await tensorboardScalars(join(workdir, 'logs', 'list-form'))).toEqual({
      loss: [[100, 0.5]],
    });
    expect(await wandbRows(workdir, logger.identity.id)).toEqual([{ _step: 100, loss: 0.5 }]);
  });

  it('the dict form logs to every backend at once', async () => {
    const console = new CaptureStream();
    const logger = new MultiLogger(
      {
        backends: ['console', 'wandb', 'tensorboard'],
        console: { level: 'INFO', stream: console },
        wandb: { project: 'jepa' },
        tensorboard: { log_dir: 'logs' },
      },
      { settings: settings('dict-form') },
    );
    logger.logMetrics({ loss: 0.5 }, 100);
    await logger.finish();
    expect(console.lines[0]).toMatch(/ - INFO - step 100 \| loss 0\.5000$/);
    expect(await tensorboardScalars(join(workdir, 'logs', 'dict-form'))).toEqual({
      loss: [[100, 0.5]],
    });
    expect(await wandbRows(workdir, logger.identity.id)).toEqual([{ _step: 100, loss: 0.5 }]);
    // One OTel provider set serves all three backends.
    expect(logger.loggers).toEqual([]);
  });
});

describe('seed: Logger Factory and Configuration', () => {
  it('createLogger from a dict', async () => {
    const config = {
      backends: ['wandb', 'tensorboard'],
      wandb: { project: 'jepa-experiments' },
      tensorboard: { log_dir: 'logs/tb' },
    };
    const logger = createLogger(config, { settings: settings('factory-dict') });
    logger.logMetrics({ 'train/loss': 0.25 }, 3);
    await logger.finish();
    expect(logger.identity.project).toBe('jepa-experiments');
    expect(await tensorboardScalars(join(workdir, 'logs/tb/factory-dict'))).toEqual({
      'train/loss': [[3, 0.25]],
    });
    expect(await wandbRows(workdir, logger.identity.id)).toEqual([
      { _step: 3, 'train/loss': 0.25 },
    ]);
  });

  it("createLogger from the seed's YAML file, unchanged", async () => {
    const logger = createLogger(SEED_YAML, { settings: settings('factory-yaml') });
    for (let step = 0; step <= 20; step++)
      logger.logMetrics({ 'train/loss': 1 / (step + 1) }, step);
    await logger.finish();
    expect(logger.identity.project).toBe('jepa-experiments');
    // The seed sets log_frequency 10 for TensorBoard and W&B: each key at most every 10 steps.
    expect(await tensorboardScalars(join(workdir, 'logs/tensorboard/factory-yaml'))).toEqual({
      'train/loss': [
        [0, 1],
        [10, Math.fround(1 / 11)],
        [20, Math.fround(1 / 21)],
      ],
    });
    expect(await wandbRows(workdir, logger.identity.id)).toEqual([
      { _step: 0, 'train/loss': 1 },
      { _step: 10, 'train/loss': 1 / 11 },
      { _step: 20, 'train/loss': 1 / 21 },
    ]);
  });
});

describe('seed: Basic Logging Setup', () => {
  it('simple console logging goes to stderr, as Python logging does', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof write;
    try {
      const logger = createLogger({ backends: ['console'] }, { settings: settings('basic') });
      logger.logMetrics({ loss: 0.75 }, 7);
      await logger.finish();
    } finally {
      process.stderr.write = write;
    }
    expect(written.join('')).toMatch(/ - INFO - step 7 \| loss 0\.7500\n/);
  });

  it('multi-backend logging in a training loop, every log_frequency batches', async () => {
    const console = new CaptureStream();
    const logger = createLogger(
      {
        backends: ['wandb', 'tensorboard', 'console'],
        wandb: { project: 'my-project' },
        tensorboard: { log_dir: 'logs' },
        console: { level: 'INFO', stream: console },
      },
      { settings: settings('basic-loop') },
    );
    const epochs = 2;
    const dataloader = Array.from({ length: 25 }, (_, i) => i);
    const logFrequency = 10;
    let globalStep = 0;
    const trainingStep = (batch: number) => 1 / (batch + 1);
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (const [batchIdx, batch] of dataloader.entries()) {
        const loss = trainingStep(batch);
        if (batchIdx % logFrequency === 0) {
          logger.logMetrics(
            { 'train/loss': loss, 'train/epoch': epoch, 'train/step': globalStep },
            globalStep,
          );
        }
        globalStep++;
      }
    }
    await logger.finish();
    const expectedSteps = [0, 10, 20, 25, 35, 45];
    expect(
      console.lines
        .filter((line) => line.includes('train/loss'))
        .map((line) => Number(/step (\d+)/.exec(line)![1])),
    ).toEqual(expectedSteps);
    const scalars = await tensorboardScalars(join(workdir, 'logs', 'basic-loop'));
    expect(scalars['train/step']).toEqual(expectedSteps.map((step) => [step, step]));
    expect(scalars['train/epoch']).toEqual(expectedSteps.map((step) => [step, step < 25 ? 0 : 1]));
    const rows = await wandbRows(workdir, logger.identity.id);
    expect(rows.map((row) => row._step)).toEqual(expectedSteps);
  });
});

describe('seed: Logger Middleware', () => {
  it('a WandbLogger with MetricFilterMiddleware writes only the train and val keys', async () => {
    const config = { project: 'jepa' };
    const logger = new WandbLogger(config, { settings: settings('middleware') });
    logger.addMiddleware(new MetricFilterMiddleware(['train', 'val']));
    logger.logMetrics({ 'train/loss': 0.5, 'val/loss': 0.6, 'sys/gpu': 0.9 }, 4);
    await logger.finish();
    expect(await wandbRows(workdir, logger.identity.id)).toEqual([
      { _step: 4, 'train/loss': 0.5, 'val/loss': 0.6 },
    ]);
  });
});
