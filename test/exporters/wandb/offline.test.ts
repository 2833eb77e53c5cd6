/**
 * Must-show 2: an offline run read back with the real `wandb` package's protobufs matches what was
 * logged, and the real `wandb sync` (wandb 0.31), pointed at the local W&B server through
 * WANDB_BASE_URL, uploads it: the rows it uploads equal the rows logged. The server is a fake
 * (the W&B cloud cannot run here), faithful to the protocol facts; see test/support/wandb-server.ts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../scripts/test-env.mjs';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import { WandbLogger } from '../../../src/loggers/wandb-logger.js';
import { FakeWandbServer, parseWandbJson } from '../../support/wandb-server.js';
import { tempDir } from './temp-dirs.js';
import { type ReadRecord, type RecordDict, readWandbFile, wandbSync } from './wandb-python.js';

const MODEL = Buffer.from('pretend these are model weights\n'.repeat(100));

/** An H x W x 3 image of one colour. */
function image(value: number) {
  return { data: new Uint8Array(4 * 6 * 3).fill(value), height: 4, width: 6, channels: 3 };
}

/** What the test logs, and what the history must hold (timings checked separately). */
const EXPECTED_ROWS = [
  { _step: 100, 'train/loss': 0.5, 'train/lr': 1e-4, 'train/acc': 0.75 },
  { _step: 101, 'train/loss': Number.NaN, 'train/grad': Infinity, 'train/neg': -Infinity },
  { _step: 102 },
  { _step: 103, 'val/loss': 0.4 },
];

interface LoggedRun {
  dir: string;
  startMs: number;
  endMs: number;
  diagnostics: CollectingDiagnostics;
}

/** A hyperparameter under a secret name. */
const SECRET = 'hunter2-hyperparameter-secret';

async function logSeedRun(root: string): Promise<LoggedRun> {
  const diagnostics = new CollectingDiagnostics();
  const startMs = Date.now();
  const logger = new WandbLogger(
    {
      project: 'jepa-experiments',
      entity: 'my-team',
      name: 'experiment-1',
      tags: ['baseline', 'transformer'],
      notes: 'Initial experiment with transformer encoder',
      mode: 'offline',
      dir: root,
      summary: { 'train/loss': ['min', 'last'] },
    },
    { env: {}, diagnostics, settings: { handle_signals: false } },
  );
  logger.logHyperparams(
    { lr: 1e-4, layers: 4, optimizer: { name: 'adam', betas: [0.9, 0.999] }, api_key: SECRET },
    { 'hp/best_loss': 0.25 },
  );
  logger.logMetrics({ 'train/loss': 0.5, 'train/lr': 1e-4 }, 100);
  logger.logMetrics({ 'train/acc': 0.75 }, 100);
  logger.logMetrics(
    { 'train/loss': Number.NaN, 'train/grad': Infinity, 'train/neg': -Infinity },
    101,
  );
  logger.logMetrics({ 'train/loss': 0.9 }, 50);
  logger.logHistogram('weights', [1, 2, 2, 3, 3, 3], 102);
  logger.logImage('samples', [image(10), image(200)], 102);
  logger.logText('notes', 'loss **fell** <fast> & "steady"', 102);
  logger.logMetrics({ 'val/loss': 0.4 }, 103);
  await logger.logModel(MODEL, 'model_checkpoint');
  await logger.finish();
  const runs = readdirSync(join(root, 'wandb'));
  expect(runs).toHaveLength(1);
  return { dir: join(root, 'wandb', runs[0]!), startMs, endMs: Date.now(), diagnostics };
}

function rowsOf(records: ReadRecord[]): Record<string, unknown>[] {
  return records
    .filter((r) => r.record.history)
    .map((r) => {
      const row: Record<string, unknown> = {};
      for (const item of r.record.history.item) row[item.key] = parseWandbJson(item.value_json);
      // proto3 leaves out a 0, and MessageToDict with it.
      expect(Number(r.record.history.step?.num ?? 0)).toBe(row._step);
      return row;
    });
}

function withoutTimes(row: Record<string, unknown>): Record<string, unknown> {
  const { _runtime, _timestamp, samples, weights, notes, ...rest } = row;
  return rest;
}

describe('offline W&B runs', () => {
  let server: FakeWandbServer;
  let run: LoggedRun;
  let records: ReadRecord[];

  beforeAll(async () => {
    server = await FakeWandbServer.start();
    run = await logSeedRun(tempDir('wandb-offline'));
    const wandbFiles = readdirSync(run.dir).filter((f) => f.endsWith('.wandb'));
    records = await readWandbFile(join(run.dir, wandbFiles[0]!));
  });
  afterAll(() => server.close());

  it('writes the run directory W&B writes: offline-run-<time>-<id>/run-<id>.wandb and files/', () => {
    const name = run.dir.split('/').pop()!;
    const id = /^offline-run-\d{8}_\d{6}-([a-z0-9]{8})$/.exec(name)?.[1];
    expect(id).toBeDefined();
    expect(existsSync(join(run.dir, `run-${id}.wandb`))).toBe(true);
    expect(existsSync(join(run.dir, 'files'))).toBe(true);
  });

  it('holds header, run, config, history, summary, artifact, exit and final records in order', () => {
    const kinds = records.map((r) => Object.keys(r.record).find((k) => k !== 'num'));
    expect(kinds[0]).toBe('header');
    expect(kinds[1]).toBe('run');
    expect(kinds.slice(-2)).toEqual(['exit', 'final']);
    for (const kind of ['config', 'history', 'summary', 'files', 'artifact']) {
      expect(kinds).toContain(kind);
    }
    expect(records.map((r) => Number(r.record.num))).toEqual(records.map((_, i) => i + 1));
    const runRecord = records[1]!.record.run;
    expect(runRecord).toMatchObject({
      run_id: run.dir.slice(-8),
      entity: 'my-team',
      project: 'jepa-experiments',
      display_name: 'experiment-1',
      tags: ['baseline', 'transformer'],
      notes: 'Initial experiment with transformer encoder',
    });
    const start = Date.parse(runRecord.start_time);
    expect(start).toBeGreaterThanOrEqual(run.startMs - 1);
    expect(start).toBeLessThanOrEqual(run.endMs);
    const exit = records.at(-2)!.record.exit;
    expect(exit.exit_code ?? 0).toBe(0);
  });

  it('reads back the rows logged: merged per step, the lower step dropped, NaN and infinities kept', () => {
    const rows = rowsOf(records);
    expect(rows.map(withoutTimes)).toEqual(EXPECTED_ROWS);
    const start = Date.parse(records[1]!.record.run.start_time) / 1000;
    for (const row of rows) {
      const timestamp = row._timestamp as number;
      expect(timestamp).toBeGreaterThanOrEqual(run.startMs / 1000 - 0.001);
      expect(timestamp).toBeLessThanOrEqual(run.endMs / 1000);
      expect(row._runtime as number).toBeCloseTo(timestamp - start, 2);
    }
    expect(run.diagnostics.at('WARNING').join('\n')).toMatch(/step 50 was dropped/);
  });

  it('stores media as W&B values: a histogram, an image batch, text as an html file', () => {
    const row = rowsOf(records).find((r) => r._step === 102)!;
    const weights = row.weights as { _type: string; values: number[]; bins: number[] };
    expect(weights._type).toBe('histogram');
    expect(weights.bins).toHaveLength(weights.values.length + 1);
    expect(weights.values.reduce((a, b) => a + b, 0)).toBe(6);
    expect([weights.bins[0], weights.bins.at(-1)]).toEqual([1, 3]);
    expect([weights.values[0], weights.values.at(-1)]).toEqual([1, 3]);

    const samples = row.samples as RecordDict;
    expect(samples).toMatchObject({ _type: 'images/separated', width: 6, height: 4, count: 2 });
    const mediaFiles = records.filter((r) => r.record.files).flatMap((r) => r.record.files.files);
    for (const path of samples.filenames as string[]) {
      expect(path).toMatch(/^media\/images\/samples_102_[0-9a-f]{20}\.png$/);
      const bytes = readFileSync(join(run.dir, 'files', path));
      expect([...bytes.subarray(1, 4)]).toEqual([...Buffer.from('PNG')]);
      expect(mediaFiles).toContainEqual({ path, type: 'MEDIA' });
    }

    const notes = row.notes as RecordDict;
    expect(notes._type).toBe('html-file');
    const html = readFileSync(join(run.dir, 'files', notes.path));
    expect(notes.sha256).toBe(createHash('sha256').update(html).digest('hex'));
    expect(notes.size).toBe(html.length);
    expect(html.toString()).toContain('loss **fell** &lt;fast&gt; &amp; &quot;steady&quot;');
  });

  it('writes the config and the summary (last values, min where asked, hparam metrics)', () => {
    const config = records.find((r) => r.record.config)!.record.config.update;
    expect(
      Object.fromEntries(config.map((i: RecordDict) => [i.key, parseWandbJson(i.value_json)])),
    ).toEqual({
      lr: 1e-4,
      layers: 4,
      optimizer: { name: 'adam', betas: [0.9, 0.999] },
      // Masked as config dumps are.
      api_key: '***',
    });
    const wandbFile = readdirSync(run.dir).find((f) => f.endsWith('.wandb'))!;
    expect(readFileSync(join(run.dir, wandbFile)).includes(SECRET)).toBe(false);
    const summaries = records.filter((r) => r.record.summary);
    const last = summaries.at(-1)!.record.summary.update;
    const summary = Object.fromEntries(
      last.map((i: RecordDict) => [i.key, parseWandbJson(i.value_json)]),
    );
    expect(summary).toMatchObject({
      'train/lr': 1e-4,
      'train/acc': 0.75,
      'val/loss': 0.4,
      'hp/best_loss': 0.25,
      _step: 103,
    });
    expect(summary['train/loss']).toEqual({ min: 0.5, last: Number.NaN });
  });

  it('records the model as a staged artifact with the digests W&B computes', () => {
    const artifact = records.find((r) => r.record.artifact)!.record.artifact;
    const md5 = createHash('md5').update(MODEL).digest('base64');
    expect(artifact).toMatchObject({
      type: 'model',
      name: 'model_checkpoint',
      aliases: ['latest'],
      entity: 'my-team',
      project: 'jepa-experiments',
      digest_algorithm: 'MANIFEST_MD5',
    });
    const [entry] = artifact.manifest.contents;
    expect(entry).toMatchObject({
      path: 'model_checkpoint.bin',
      digest: md5,
      size: String(MODEL.length),
    });
    expect(readFileSync(entry.local_path)).toEqual(MODEL);
    const expectedDigest = createHash('md5')
      .update(`wandb-artifact-manifest-v1\nmodel_checkpoint.bin:${md5}\n`)
      .digest('hex');
    expect(artifact.digest).toBe(expectedDigest);
  });

  it('is uploaded by the real `wandb sync`: the rows it sends equal the rows logged', async () => {
    // A failed run and a run without an entity go along, synced in the same call.
    const failed = tempDir('wandb-offline');
    const logger = new WandbLogger(
      { project: 'jepa-experiments', mode: 'dryrun', dir: failed },
      { env: {}, settings: { handle_signals: false }, diagnostics: new CollectingDiagnostics() },
    );
    logger.logMetrics({ loss: 1 }, 0);
    logger.logMetrics({ loss: 2 }, 1);
    await logger.finish({ exitCode: 3 });
    const failedDir = join(failed, 'wandb', readdirSync(join(failed, 'wandb'))[0]!);

    await wandbSync([run.dir, failedDir], server.url);

    const id = run.dir.slice(-8);
    const synced = server.run('my-team', 'jepa-experiments', id)!;
    expect(synced).toBeDefined();
    const uploaded = FakeWandbServer.rows(synced);
    // Everything `wandb sync` sent is what the file holds, _runtime and _timestamp included.
    expect(uploaded).toEqual(rowsOf(records));
    expect(uploaded.map(withoutTimes)).toEqual(EXPECTED_ROWS);
    expect(synced.gaps).toEqual([]);
    expect(synced).toMatchObject({
      complete: true,
      exitcode: 0,
      displayName: 'experiment-1',
      notes: 'Initial experiment with transformer encoder',
      tags: ['baseline', 'transformer'],
    });
    expect(synced.config).toMatchObject({ lr: { value: 1e-4 }, layers: { value: 4 } });
    expect(synced.summary).toMatchObject({ 'val/loss': 0.4, 'hp/best_loss': 0.25, _step: 103 });
    const media = rowsOf(records).find((r) => r._step === 102)!;
    for (const path of [
      ...(media.samples as RecordDict).filenames,
      (media.notes as RecordDict).path,
    ]) {
      expect(synced.uploaded).toContain(path);
      expect(synced.files.get(path)).toEqual(readFileSync(join(run.dir, 'files', path)));
    }
    const artifact = [...server.artifacts.values()].find(
      (a) => a.collection === 'model_checkpoint',
    )!;
    expect(artifact).toMatchObject({ state: 'COMMITTED', type: 'model', run: id });
    expect(artifact.files.get('model_checkpoint.bin')).toEqual(MODEL);
    expect(existsSync(join(run.dir, `run-${id}.wandb.synced`))).toBe(true);

    const other = server.run('fake-user', 'jepa-experiments', failedDir.slice(-8))!;
    expect(FakeWandbServer.rows(other).map((r) => [r._step, r.loss])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(other).toMatchObject({ complete: true, exitcode: 3 });
  });
});

describe('an offline run that ends with process.exit()', () => {
  it('keeps every row on disk, the last one included, and ends the run with the exit code', async () => {
    const root = tempDir('wandb-exit');
    const exited = await promisify(execFile)(
      join(repoRoot, 'node_modules', '.bin', 'vite-node'),
      [join(repoRoot, 'test', 'fixtures', 'wandb', 'exit-without-finish.ts'), root, '500', '3'],
      { cwd: repoRoot, env: { PATH: process.env.PATH } },
    ).then(
      () => 0,
      (error: { code?: number }) => error.code,
    );
    expect(exited).toBe(3);
    const dir = join(root, 'wandb', readdirSync(join(root, 'wandb'))[0]!);
    const file = readdirSync(dir).find((f) => f.endsWith('.wandb'))!;
    const records = await readWandbFile(join(dir, file));
    const rows = rowsOf(records);
    expect(rows.map((r) => r._step)).toEqual([...Array(500).keys()]);
    expect(rows.map((r) => r.loss)).toEqual(rows.map((_, step) => 1 / (step + 1)));
    // The exit record a sync needs to upload the run as ended (not failed for lack of one).
    const kinds = records.map((r) => Object.keys(r.record).find((k) => k !== 'num'));
    expect(kinds.slice(-2)).toEqual(['exit', 'final']);
    expect(records.at(-2)!.record.exit.exit_code).toBe(3);
  });
});

describe('an offline run whose process was killed in the middle of a write', () => {
  it('is read and uploaded by `wandb sync` up to the record the kill cut short', async () => {
    const root = tempDir('wandb-torn');
    const logger = new WandbLogger(
      { project: 'jepa-experiments', mode: 'offline', dir: root },
      { env: {}, diagnostics: new CollectingDiagnostics(), settings: { handle_signals: false } },
    );
    for (let step = 0; step < 300; step++) logger.logMetrics({ loss: 1 / (step + 1) }, step);
    // Finished first: nothing may write to the file once it is cut.
    await logger.finish();
    const dir = join(root, 'wandb', readdirSync(join(root, 'wandb'))[0]!);
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.wandb'))!);
    const whole = await readWandbFile(file);
    expect(rowsOf(whole).map((r) => r._step)).toEqual([...Array(300).keys()]);
    truncateSync(file, statSync(file).size - 5);

    await expect(readWandbFile(file)).rejects.toThrow(/truncated chunk/);
    const read = await readWandbFile(file, { tornTail: true });
    expect(read).toEqual(whole.slice(0, -1));
    const torn = rowsOf(read).map((r) => r._step);
    expect(torn.length).toBeGreaterThan(290);
    const server = await FakeWandbServer.start();
    try {
      await wandbSync([dir], server.url);
      const synced = server.run('fake-user', 'jepa-experiments', dir.slice(-8))!;
      expect(FakeWandbServer.rows(synced).map((r) => r._step)).toEqual(torn);
    } finally {
      await server.close();
    }
  });
});
