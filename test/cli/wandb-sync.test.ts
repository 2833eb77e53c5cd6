/**
 * Must-show 3 (second half): `jepa-loggers wandb-sync` uploads offline runs with our own W&B
 * client, exactly once. The runs are written by our WandbLogger and by the real `wandb` package;
 * the reference is the real `wandb sync` (wandb 0.31), which uploads the same files to a second
 * server: both servers must hold the same rows, config, summary and exit code, and `wandb sync`
 * must take our synced marker as its own. The servers are the local fake (the W&B cloud cannot
 * run here), faithful to the protocol facts; see test/support/wandb-server.ts.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWandbSync } from '../../src/cli/wandb-sync.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { WandbLogger } from '../../src/loggers/wandb-logger.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { readWandbFile, TEST_API_KEY, wandbSync } from '../exporters/wandb/wandb-python.js';
import { CaptureStream } from '../support/capture-stream.js';
import { runPythonJson } from '../support/python.js';
import { type FakeRun, FakeWandbServer, parseWandbJson } from '../support/wandb-server.js';

const MODEL = Buffer.from('pretend these are model weights\n'.repeat(50));

/** An offline run by our WandbLogger with every kind of record; returns its directory. */
async function logRun(root: string, steps = 4): Promise<string> {
  const logger = new WandbLogger(
    {
      project: 'jepa-experiments',
      entity: 'my-team',
      name: 'experiment-1',
      tags: ['baseline'],
      notes: 'synced without Python',
      mode: 'offline',
      dir: root,
    },
    { env: {}, diagnostics: new CollectingDiagnostics(), settings: { handle_signals: false } },
  );
  logger.logHyperparams({ lr: 1e-4, optimizer: { name: 'adam', betas: [0.9, 0.999] } });
  for (let step = 0; step < steps; step++) {
    logger.logMetrics({ 'train/loss': 1 / (step + 1), 'train/step': step }, step);
  }
  logger.logMetrics({ 'train/grad': Number.NaN, 'train/max': Infinity }, steps);
  logger.logHistogram('weights', [1, 2, 2, 3], steps);
  logger.logImage(
    'samples',
    { data: new Uint8Array(4 * 6 * 3).fill(9), height: 4, width: 6, channels: 3 },
    steps,
  );
  logger.logText('notes', 'loss **fell**', steps);
  await logger.logModel(MODEL, 'model_checkpoint');
  await logger.finish();
  return runDir(root);
}

/** An offline run written by the real `wandb` package (wandb.init(mode="offline")). */
async function logPythonRun(root: string): Promise<string> {
  await runPythonJson(
    [
      'import json, math, sys, wandb',
      'run = wandb.init(mode="offline", dir=sys.argv[1], project="py-project", config={"lr": 0.1, "opt": {"name": "sgd"}})',
      'for s in range(5): run.log({"loss": 1 / (s + 1), "acc/top1": s / 10, "bad": math.nan}, step=s)',
      'run.summary["best"] = 0.2',
      'run.finish()',
      'print(json.dumps(run.id))',
    ].join('\n'),
    [root],
    {
      HOME: root,
      WANDB_SILENT: 'true',
      WANDB_CONFIG_DIR: join(root, 'config'),
      WANDB_CACHE_DIR: join(root, 'cache'),
    },
  );
  return runDir(root);
}

function runDir(root: string): string {
  const runs = readdirSync(join(root, 'wandb')).filter((name) => name.startsWith('offline-run-'));
  expect(runs).toHaveLength(1);
  return join(root, 'wandb', runs[0]!);
}

function wandbFileOf(dir: string): string {
  return join(dir, readdirSync(dir).find((name) => name.endsWith('.wandb'))!);
}

interface Synced {
  code: number;
  out: string;
  err: string;
}

async function sync(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  maxRequestBytes?: number,
): Promise<Synced> {
  const out = new CaptureStream();
  const err = new CaptureStream();
  const code = await runWandbSync(args, { out, err, env, maxRequestBytes });
  return { code, out: out.text, err: err.text };
}

function envFor(server: FakeWandbServer, home: string): NodeJS.ProcessEnv {
  return { WANDB_BASE_URL: server.url, WANDB_API_KEY: TEST_API_KEY, HOME: home };
}

/**
 * A run as both servers must hold it. Left out: the config's `_wandb` key, W&B's own bookkeeping
 * (the SDK's telemetry, which its sync adds), and `wandb-metadata.json`, which `wandb sync` makes
 * from the Python SDK's environment records (system facts we do not replay). config.yaml and the
 * summary file are compared through the config and summary they carry.
 */
function contents(run: FakeRun) {
  const { _wandb, ...config } = run.config;
  const generated = ['config.yaml', 'wandb-summary.json', 'wandb-metadata.json'];
  const files = [...run.files].filter(([name]) => !generated.includes(name));
  return {
    files: new Map(files.sort(([a], [b]) => a.localeCompare(b))),
    rows: FakeWandbServer.rows(run),
    config,
    summary: run.summary,
    complete: run.complete,
    exitcode: run.exitcode,
    displayName: run.displayName,
    notes: run.notes,
    tags: run.tags,
    gaps: run.gaps,
  };
}

describe('jepa-loggers wandb-sync', () => {
  let ours: FakeWandbServer;
  let reference: FakeWandbServer;
  let home: string;
  /** Our WandbLogger's run, moved to another directory after it was written. */
  let movedRun: string;
  let pythonRun: string;
  /** The Python run where `wandb sync` uploaded it from (and marked it). */
  let pythonOriginal: string;
  let first: Synced;

  beforeAll(async () => {
    [ours, reference] = await Promise.all([
      FakeWandbServer.start({ apiKey: TEST_API_KEY }),
      FakeWandbServer.start({ apiKey: TEST_API_KEY }),
    ]);
    home = tempDir('wandb-sync-home');
    const written = await logRun(tempDir('wandb-sync-written'));
    const python = await logPythonRun(tempDir('wandb-sync-python'));
    pythonOriginal = python;
    // Our copies are taken before `wandb sync` marks the originals synced.
    const moved = tempDir('wandb-sync-moved');
    movedRun = join(moved, 'wandb', written.split('/').pop()!);
    cpSync(written, movedRun, { recursive: true });
    pythonRun = join(tempDir('wandb-sync-py-copy'), python.split('/').pop()!);
    cpSync(python, pythonRun, { recursive: true });

    await wandbSync([written, python], reference.url);
    // The original is gone, as when a run directory is copied off a cluster: the model's staged
    // copy must be found under the moved run directory.
    rmSync(written, { recursive: true, force: true });
    first = await sync([moved, pythonRun], envFor(ours, home));
  });
  afterAll(async () => {
    await Promise.all([ours.close(), reference.close()]);
  });

  it('uploads what the real `wandb sync` uploads: rows, config, summary, exit code', () => {
    expect(first.code, first.err).toBe(0);
    expect(ours.runs.size).toBe(2);
    expect(reference.runs.size).toBe(2);
    for (const [key, run] of ours.runs) {
      const expected = reference.runs.get(key);
      expect(expected, `wandb sync made no run ${key}`).toBeDefined();
      expect(contents(run)).toEqual(contents(expected!));
    }
  });

  it("uploads our logger's rows exactly as the file holds them, and what was logged", async () => {
    const id = movedRun.slice(-8);
    const run = ours.run('my-team', 'jepa-experiments', id)!;
    const records = await readWandbFile(wandbFileOf(movedRun));
    const recorded = records
      .filter((r) => r.record.history)
      .map((r) =>
        Object.fromEntries(
          r.record.history.item.map((i: { key: string; value_json: string }) => [
            i.key,
            parseWandbJson(i.value_json),
          ]),
        ),
      );
    const rows = FakeWandbServer.rows(run);
    expect(rows).toEqual(recorded);
    expect(rows.slice(0, 4).map((r) => [r._step, r['train/loss']])).toEqual([
      [0, 1],
      [1, 1 / 2],
      [2, 1 / 3],
      [3, 1 / 4],
    ]);
    expect(rows[4]).toMatchObject({ _step: 4, 'train/grad': Number.NaN, 'train/max': Infinity });
    expect(run.config).toMatchObject({
      lr: { value: 1e-4 },
      optimizer: { value: { name: 'adam' } },
    });
    expect(run).toMatchObject({ complete: true, exitcode: 0, displayName: 'experiment-1' });
  });

  it('uploads the media files and the config, summary and model', () => {
    const id = movedRun.slice(-8);
    const run = ours.run('my-team', 'jepa-experiments', id)!;
    const row = FakeWandbServer.rows(run).find((r) => r._step === 4)!;
    const media = [(row.samples as { path: string }).path, (row.notes as { path: string }).path];
    for (const path of media) {
      expect(run.uploaded).toContain(path);
      expect(run.files.get(path)).toEqual(readFileSync(join(movedRun, 'files', path)));
    }
    expect(parseWandbJson(run.files.get('wandb-summary.json')!.toString())).toEqual(run.summary);
    expect(run.files.get('config.yaml')!.toString()).toContain('lr:\n  value: 0.0001');
    const artifact = [...ours.artifacts.values()].find((a) => a.collection === 'model_checkpoint')!;
    expect(artifact).toMatchObject({ state: 'COMMITTED', type: 'model', run: id });
    expect(artifact.files.get('model_checkpoint.bin')).toEqual(MODEL);
    const reference_ = [...reference.artifacts.values()].find(
      (a) => a.collection === 'model_checkpoint',
    )!;
    expect(artifact.digest).toBe(reference_.digest);
    expect(first.out).toMatch(
      new RegExp(
        `Synced .*run-${id}\\.wandb -> my-team/jepa-experiments/${id}: 5 rows, \\d+ files, 1 models`,
      ),
    );
  });

  it('marks the runs synced as `wandb sync` does: a second call, ours or theirs, uploads nothing', async () => {
    const theirMarker = readFileSync(`${wandbFileOf(pythonOriginal)}.synced`, 'utf8');
    for (const dir of [movedRun, pythonRun]) {
      expect(readFileSync(`${wandbFileOf(dir)}.synced`, 'utf8')).toBe(theirMarker);
    }
    const requests = ours.requests.length;
    const again = await sync([movedRun, pythonRun], envFor(ours, home));
    expect(again).toMatchObject({ code: 0, out: 'No runs to sync.\n' });
    expect(again.err).toContain('Skipped 2 synced run(s)');
    const theirs = await wandbSync([movedRun, pythonRun], ours.url);
    expect(theirs.stdout + theirs.stderr).toMatch(/Skipped 2 synced run/);
    expect(ours.requests.length).toBe(requests);
  });

  it('uploads a run again with --include-synced, without a row twice', async () => {
    const id = movedRun.slice(-8);
    const before = ours.run('my-team', 'jepa-experiments', id)!.history.length;
    const again = await sync(['--include-synced', movedRun], envFor(ours, home));
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(`0 rows (after the ${before} already there)`);
    const run = ours.run('my-team', 'jepa-experiments', id)!;
    expect(run.history).toHaveLength(before);
    expect(run.rewrites).toEqual([]);
  });
});

describe('an interrupted wandb-sync', () => {
  it('resumes where the server copy ends: every row once, in order', async () => {
    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      const dir = await logRun(tempDir('wandb-sync-resume'), 300);
      const env = envFor(server, tempDir('wandb-sync-home'));
      // Small requests, so that the upload takes several; the second request's answer is lost
      // (the server took it), and the fourth is refused for good: the sync stops there.
      server.inject('file_stream', [
        { kind: 'pass' },
        { kind: 'reset', when: 'after' },
        { kind: 'pass' },
        { kind: 'status', status: 400 },
      ]);
      const interrupted = await sync([dir], env, 2048);
      expect(interrupted.code).toBe(1);
      expect(interrupted.err).toMatch(
        /HTTP 400.*; \d+ of 301 rows were sent; the next wandb-sync continues/,
      );
      expect(existsSync(`${wandbFileOf(dir)}.synced`)).toBe(false);
      const run = server.onlyRun();
      const delivered = run.history.length;
      expect(delivered).toBeGreaterThan(0);
      expect(delivered).toBeLessThan(301);
      expect(run.complete).toBe(false);

      const resumed = await sync([dir], env, 2048);
      expect(resumed.code, resumed.err).toBe(0);
      expect(resumed.out).toContain(
        `${301 - delivered} rows (after the ${delivered} already there)`,
      );
      const rows = FakeWandbServer.rows(run);
      expect(rows.map((r) => r._step)).toEqual([...Array(301).keys()]);
      expect(rows.slice(0, 300).map((r) => r['train/loss'])).toEqual(
        [...Array(300).keys()].map((step) => 1 / (step + 1)),
      );
      expect(run.gaps).toEqual([]);
      // Only the request whose answer was lost was sent twice, and it rewrote the same lines.
      expect(run.rewrites.length).toBeGreaterThan(0);
      expect(run.rewrites.every((r) => r.identical)).toBe(true);
      const offsets = run.streamRequests
        .filter((r) => r.offset !== undefined)
        .map((r) => r.offset!);
      expect(offsets.filter((offset, i) => offsets.indexOf(offset) !== i)).toHaveLength(1);
      expect(run).toMatchObject({ complete: true, exitcode: 0 });
      expect(existsSync(`${wandbFileOf(dir)}.synced`)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('wandb-sync choices and errors', () => {
  let server: FakeWandbServer;
  let root: string;
  let dir: string;

  beforeAll(async () => {
    server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    root = tempDir('wandb-sync-online');
    // A run directory named as online mode names it (wandb sync tells them apart by the name).
    const offline = await logRun(root, 2);
    dir = offline.replace('offline-run-', 'run-');
    renameSync(offline, dir);
  });
  afterAll(() => server.close());

  it('leaves online runs out unless --include-online, and --dry-run uploads nothing', async () => {
    const env = envFor(server, tempDir('wandb-sync-home'));
    const skipped = await sync([root], env);
    expect(skipped).toMatchObject({ code: 0, out: 'No runs to sync.\n' });
    expect(skipped.err).toContain('Skipped 1 online run(s); --include-online includes them.');
    const dry = await sync(['--dry-run', '--include-online', join(root, 'wandb')], env);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(
      `Would sync 1 run(s):\n  ${wandbFileOf(dir)} -> my-team/jepa-experiments/${dir.slice(-8)}: 3 rows`,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('needs an API key, reads it from netrc, and never prints it', async () => {
    const home = tempDir('wandb-sync-home');
    const noKey = await sync(['--include-online', dir], { WANDB_BASE_URL: server.url, HOME: home });
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain('no API key');
    expect(noKey.err).toContain('WANDB_API_KEY');

    const wrongKey = 'a'.repeat(40);
    const refused = await sync(['--include-online', dir], {
      WANDB_BASE_URL: server.url,
      WANDB_API_KEY: wrongKey,
      HOME: home,
    });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('W&B rejected the API key (HTTP 401');
    expect(refused.out + refused.err).not.toContain(wrongKey);
    expect(existsSync(`${wandbFileOf(dir)}.synced`)).toBe(false);

    writeFileSync(
      join(home, '.netrc'),
      `machine 127.0.0.1\n  login user\n  password ${TEST_API_KEY}\n`,
    );
    const fromNetrc = await sync(['--include-online', dir], {
      WANDB_BASE_URL: server.url,
      HOME: home,
    });
    expect(fromNetrc.code, fromNetrc.err).toBe(0);
    expect(fromNetrc.out + fromNetrc.err).not.toContain(TEST_API_KEY);
    expect(server.onlyRun()).toMatchObject({ complete: true, exitcode: 0 });
  });

  it('names a path that holds no run, and a file that is not a run', async () => {
    const env = envFor(server, tempDir('wandb-sync-home'));
    const missing = await sync([join(root, 'nothing-here')], env);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`${join(root, 'nothing-here')}: no such file or directory`);
    const bogus = join(tempDir('wandb-sync-bogus'), 'run-abcd1234.wandb');
    writeFileSync(bogus, createHash('sha256').update('not a run').digest());
    const bad = await sync(['--include-online', bogus], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${bogus}: not a W&B transaction log`);
  });
});
