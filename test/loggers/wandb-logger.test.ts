/**
 * WandbLogger: configuration, WANDB_* variables, modes, ranks, models and resuming, against the
 * local W&B server (a fake faithful to the protocol facts: the W&B cloud cannot run here) and the
 * real `wandb sync`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { LoggerRegistry } from '../../src/loggers/base-logger.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { WandbLogger } from '../../src/loggers/wandb-logger.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { TEST_API_KEY, wandbSync } from '../exporters/wandb/wandb-python.js';
import { FakeWandbServer } from '../support/wandb-server.js';

const settings = { handle_signals: false };
const fast = { stream_interval: 0.1, request_timeout: 5 };

describe('WandbLogger', () => {
  let server: FakeWandbServer;
  let root: string;
  let diagnostics: CollectingDiagnostics;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    root = tempDir('wandb-logger');
    diagnostics = new CollectingDiagnostics();
    env = { WANDB_API_KEY: TEST_API_KEY, WANDB_BASE_URL: server.url, HOME: root };
  });
  afterEach(() => server.close());

  const runDirs = () => (existsSync(join(root, 'wandb')) ? readdirSync(join(root, 'wandb')) : []);

  it('runs the seed example online: the row and the model reach W&B', async () => {
    const modelPath = join(root, 'model.pt');
    writeFileSync(modelPath, 'weights of a small transformer');
    const logger = new WandbLogger(
      {
        project: 'jepa-experiments',
        entity: 'my-team',
        name: 'experiment-1',
        tags: ['baseline', 'transformer'],
        notes: 'Initial experiment with transformer encoder',
        dir: root,
        ...fast,
      },
      { env, diagnostics, settings },
    );
    logger.logMetrics({ 'train/loss': 0.5, 'train/lr': 1e-4 }, 100);
    await logger.logModel(modelPath, 'model_checkpoint');
    await logger.finish();

    const run = server.run('my-team', 'jepa-experiments', logger.identity.id)!;
    expect(run).toMatchObject({
      displayName: 'experiment-1',
      tags: ['baseline', 'transformer'],
      notes: 'Initial experiment with transformer encoder',
      complete: true,
      exitcode: 0,
    });
    expect(FakeWandbServer.rows(run)).toEqual([
      expect.objectContaining({ _step: 100, 'train/loss': 0.5, 'train/lr': 1e-4 }),
    ]);
    const [artifact] = server.artifacts.values();
    const md5 = createHash('md5').update('weights of a small transformer').digest('base64');
    expect(artifact).toMatchObject({
      type: 'model',
      collection: 'model_checkpoint',
      aliases: ['latest'],
      state: 'COMMITTED',
      digest: createHash('md5')
        .update(`wandb-artifact-manifest-v1\nmodel.pt:${md5}\n`)
        .digest('hex'),
    });
    expect(artifact!.files.get('model.pt')?.toString()).toBe('weights of a small transformer');
    expect(artifact!.manifest).toMatchObject({
      contents: { 'model.pt': { digest: md5, size: 30 } },
    });
    expect(runDirs()).toEqual([expect.stringMatching(/^run-\d{8}_\d{6}-[a-z0-9]{8}$/)]);
    expect(diagnostics.at('ERROR')).toEqual([]);
  });

  it('is registered as "wandb" and built by createLogger from a config', async () => {
    expect(LoggerRegistry.get('wandb')).toBe(WandbLogger);
    const logger = createLogger(
      { backends: ['wandb'], wandb: { mode: 'offline', dir: root } },
      { env: {}, diagnostics, settings },
    );
    logger.logMetrics({ loss: 1 }, 0);
    await logger.finish();
    expect(runDirs()).toEqual([expect.stringMatching(/^offline-run-/)]);
  });

  it('honours the WANDB_* variables', async () => {
    const dir = join(root, 'elsewhere');
    mkdirSync(dir);
    const logger = new WandbLogger(fast, {
      env: {
        ...env,
        WANDB_PROJECT: 'env-project',
        WANDB_ENTITY: 'env-team',
        WANDB_NAME: 'env-name',
        WANDB_RUN_ID: 'envrun01',
        WANDB_TAGS: 'a, b',
        WANDB_NOTES: 'env notes',
        WANDB_RUN_GROUP: 'env-group',
        WANDB_JOB_TYPE: 'train',
        WANDB_DIR: dir,
      },
      diagnostics,
      settings,
    });
    logger.logMetrics({ loss: 1 }, 0);
    await logger.finish();
    expect(server.run('env-team', 'env-project', 'envrun01')).toMatchObject({
      displayName: 'env-name',
      tags: ['a', 'b'],
      notes: 'env notes',
      group: 'env-group',
      jobType: 'train',
      complete: true,
    });
    expect(readdirSync(join(dir, 'wandb'))).toEqual([expect.stringMatching(/-envrun01$/)]);
    expect(logger.identity).toMatchObject({ id: 'envrun01', project: 'env-project' });
  });

  it("gives the section's project, name and id to the run's OTel resource", async () => {
    const logger = new WandbLogger(
      { project: 'named', name: 'nice-run', id: 'abcd1234', mode: 'offline', dir: root },
      { env: {}, diagnostics, settings },
    );
    expect(logger.identity).toMatchObject({ id: 'abcd1234', name: 'nice-run', project: 'named' });
    await logger.finish();
    expect(runDirs()).toEqual([expect.stringMatching(/-abcd1234$/)]);
  });

  it("accepts W&B's mode aliases (WANDB_MODE=dryrun is offline)", async () => {
    const logger = new WandbLogger(
      { dir: root },
      { env: { WANDB_MODE: 'dryrun' }, diagnostics, settings },
    );
    await logger.finish();
    expect(runDirs()).toEqual([expect.stringMatching(/^offline-run-/)]);
  });

  it('costs nothing when disabled, or on ranks other than 0', async () => {
    for (const options of [
      { config: { mode: 'disabled', dir: root }, env: {} },
      { config: { dir: root }, env: { WANDB_MODE: 'disabled' } },
      { config: { mode: 'offline', dir: root }, env: { RANK: '1', WORLD_SIZE: '2' } },
    ]) {
      const logger = new WandbLogger(options.config, { env: options.env, diagnostics, settings });
      // No backend reads rows or instruments: logMetrics returns after tracking the step.
      expect(logger.run.pipeline.consumesEvent('jepa.metrics')).toBe(false);
      expect(logger.run.pipeline.exportsRunInstruments).toBe(false);
      logger.logMetrics({ loss: 1 }, 0);
      await logger.finish();
    }
    expect(runDirs()).toEqual([]);
  });

  it('writes one run per rank, grouped, with all_ranks', async () => {
    const ids: string[] = [];
    for (const rank of ['0', '1']) {
      const logger = new WandbLogger(
        { mode: 'offline', dir: root, all_ranks: true },
        { env: { RANK: rank, WORLD_SIZE: '2', JEPA_RUN_ID: 'shared01' }, diagnostics, settings },
      );
      logger.logMetrics({ loss: 1 }, 0);
      await logger.finish();
      ids.push(
        runDirs()
          .map((d) => d.slice(-8))
          .find((id) => !ids.includes(id))!,
      );
    }
    expect(ids[0]).toBe('shared01');
    expect(ids[1]).toMatch(/^[a-z0-9]{8}$/);
    expect(ids[1]).not.toBe('shared01');
    await wandbSync(
      readdirSync(join(root, 'wandb')).map((d) => join(root, 'wandb', d)),
      server.url,
    );
    const runs = [...server.runs.values()];
    expect(runs.map((r) => r.group)).toEqual([undefined, undefined].map(() => 'shared01'));
    expect(runs.map((r) => r.displayName).sort()).toEqual([
      'run-shared01-rank0',
      'run-shared01-rank1',
    ]);
  });

  it('refuses online mode without an API key, naming WANDB_API_KEY and never a key', () => {
    const create = () =>
      new WandbLogger(
        { mode: 'online', dir: root },
        { env: { HOME: root }, diagnostics, settings },
      );
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/WANDB_API_KEY/);
    expect(runDirs()).toEqual([]);
  });

  it('takes the key `wandb login` saved in ~/.netrc', async () => {
    writeFileSync(
      join(root, '.netrc'),
      `machine 127.0.0.1\n  login user\n  password ${TEST_API_KEY}\n`,
    );
    const logger = new WandbLogger(
      { project: 'netrc', dir: root, ...fast },
      { env: { WANDB_BASE_URL: server.url, HOME: root }, diagnostics, settings },
    );
    logger.logMetrics({ loss: 1 }, 0);
    await logger.finish();
    expect(server.onlyRun()).toMatchObject({ complete: true, history: [expect.any(String)] });
  });

  it('updates the config as hyperparameters come, and warns when the run is stopped in the app', async () => {
    const logger = new WandbLogger(
      { project: 'cfg', dir: root, ...fast },
      { env, diagnostics, settings },
    );
    logger.logHyperparams({ lr: 0.1 });
    logger.logMetrics({ loss: 1 }, 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.onlyRun().stopped = true;
    logger.logHyperparams({ layers: 2 });
    logger.logMetrics({ loss: 0.5 }, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await logger.finish();
    // `_wandb` is the client's own key (the client and runtime versions).
    const { _wandb, ...config } = server.onlyRun().config;
    expect(config).toEqual({ lr: { value: 0.1 }, layers: { value: 2 } });
    expect(diagnostics.at('WARNING').join('\n')).toMatch(/stopped from the W&B app/);
  });

  it('continues a run that exists (resume), appending after its rows; refuses with resume never', async () => {
    for (const step of [0, 1]) {
      const logger = new WandbLogger(
        { project: 'resumed', id: 'resume01', dir: root, resume: 'allow', ...fast },
        { env, diagnostics, settings },
      );
      logger.logMetrics({ loss: step }, step);
      await logger.finish();
    }
    const run = server.onlyRun();
    expect(FakeWandbServer.rows(run).map((r) => r._step)).toEqual([0, 1]);
    expect(run.gaps).toEqual([]);
    expect(run.rewrites).toEqual([]);

    const never = new WandbLogger(
      { project: 'resumed', id: 'resume01', dir: root, resume: 'never', ...fast },
      { env, diagnostics, settings },
    );
    never.logMetrics({ loss: 9 }, 9);
    await never.finish();
    expect(diagnostics.at('ERROR').join('\n')).toMatch(/already exists .* resume is 'never'/);
    expect(FakeWandbServer.rows(run)).toHaveLength(2);
  });

  it('stores a directory model, and sends the same model only once', async () => {
    const model = join(root, 'checkpoint');
    mkdirSync(join(model, 'sub'), { recursive: true });
    writeFileSync(join(model, 'weights.bin'), 'w');
    writeFileSync(join(model, 'sub', 'config.json'), '{}');
    const logger = new WandbLogger(
      { project: 'models', dir: root, ...fast },
      { env, diagnostics, settings },
    );
    await logger.logModel(model, 'ckpt', ['best']);
    await logger.logModel(model, 'ckpt', ['epoch-2']);
    await expect(logger.logModel(model, 'bad name!')).rejects.toThrow(/'bad name!'|"bad name!"/);
    await expect(logger.logModel(join(root, 'missing'), 'ckpt')).rejects.toThrow(
      /no file or directory/,
    );
    await logger.finish();
    const artifacts = [...server.artifacts.values()];
    expect(artifacts).toHaveLength(1);
    expect([...artifacts[0]!.files.keys()].sort()).toEqual(['sub/config.json', 'weights.bin']);
    expect(artifacts[0]!.aliases.sort()).toEqual(['best', 'epoch-2', 'latest']);
    const uploads = server.requests.filter((r) => r.path.startsWith('/storage/artifact/'));
    expect(uploads).toHaveLength(3);
  });

  it('gives up at finish_timeout when the server is gone; `wandb sync` uploads the rest later', async () => {
    const logger = new WandbLogger(
      {
        project: 'outage',
        entity: 'team',
        dir: root,
        finish_timeout: 2,
        request_timeout: 1,
        stream_interval: 0.1,
      },
      { env, diagnostics, settings },
    );
    logger.logMetrics({ loss: 1 }, 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.inject('file_stream', Array(100).fill({ kind: 'reset', when: 'before' }));
    for (let step = 1; step < 50; step++) logger.logMetrics({ loss: 1 / (step + 1) }, step);
    const started = Date.now();
    await logger.finish();
    // It gave up at its deadline (2 s) rather than retrying for days; generous for a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    const [message] = diagnostics.at('ERROR');
    const dir = join(root, 'wandb', runDirs()[0]!);
    expect(message).toContain(`wandb sync --include-online ${dir}`);
    const run = server.onlyRun();
    expect(run.complete).toBe(false);
    expect(run.history.length).toBeLessThan(50);

    const later = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      await wandbSync([dir], later.url, TEST_API_KEY, ['--include-online']);
      const synced = later.onlyRun();
      expect(FakeWandbServer.rows(synced).map((r) => r._step)).toEqual([...Array(50).keys()]);
      expect(synced).toMatchObject({ complete: true, exitcode: 0 });
    } finally {
      await later.close();
    }
  });
});
