/**
 * Must-show 3: the API key appears nowhere. A child process runs W&B online (through a 500 and a
 * 429), offline, against a server that rejects the key (401) and without a key; the test collects
 * its console output (every diagnostic level), the errors it printed, the spans, log records and
 * resources of its OTel pipeline, a config dump, every file it wrote (run directories, the spool,
 * staged models) and the bodies of every request the servers received, and looks for the key in
 * all of it. The servers are the fake W&B server (the W&B cloud cannot run here).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../scripts/test-env.mjs';
import { FakeWandbServer } from '../../support/wandb-server.js';
import { tempDir } from './temp-dirs.js';
import { TEST_API_KEY } from './wandb-python.js';

const forms = [
  TEST_API_KEY,
  Buffer.from(`api:${TEST_API_KEY}`).toString('base64'),
  TEST_API_KEY.slice(0, 20),
];

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

describe('the W&B API key', () => {
  let good: FakeWandbServer;
  let bad: FakeWandbServer;
  let root: string;
  let output: string;

  beforeAll(async () => {
    good = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    bad = await FakeWandbServer.start({ apiKey: 'another-key-0000000000000000000000000000' });
    good.inject(
      'file_stream',
      [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 429, retryAfter: '1' },
      ],
      {
        after: 1,
      },
    );
    root = tempDir('wandb-key');
    const { stdout, stderr } = await promisify(execFile)(
      join(repoRoot, 'node_modules', '.bin', 'vite-node'),
      [join(repoRoot, 'test', 'fixtures', 'wandb', 'key-run.ts')],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          JEPA_LOGGERS_LOG_LEVEL: 'DEBUG',
          WANDB_API_KEY: TEST_API_KEY,
          GOOD_URL: good.url,
          BAD_URL: bad.url,
          RUN_ROOT: root,
        },
        timeout: 90_000,
      },
    );
    output = `${stdout}\n${stderr}`;
  }, 120_000);
  afterAll(async () => {
    await good.close();
    await bad.close();
  });

  it('was really used: the runs ran, the 401 and the missing key were reported clearly', () => {
    expect(output).toMatch(/online: finished/);
    expect(output).toMatch(/offline: finished/);
    expect(output).toMatch(/retrying in/);
    expect(output).toMatch(
      /W&B rejected the API key \(HTTP 401 from http:\/\/127\.0\.0\.1:\d+ for UpsertBucket\): check WANDB_API_KEY/,
    );
    expect(output).toMatch(/no key error: .*needs an API key .*WANDB_API_KEY/);
    expect(good.onlyRun()).toMatchObject({ complete: true });
    expect(bad.requests.some((r) => r.path === '/graphql')).toBe(true);
    expect(good.requests.every((r) => r.path.startsWith('/storage/') || r.authorization)).toBe(
      true,
    );
  });

  it('is in no console output, error, span, log record, resource or config dump', () => {
    expect(output.length).toBeGreaterThan(1000);
    for (const form of forms) expect(output).not.toContain(form);
  });

  it('is in no file written: run directories, .wandb files, spool, media, staged models', () => {
    const written = [...files(root)];
    expect(written.some((f) => f.endsWith('.wandb'))).toBe(true);
    expect(written.some((f) => f.includes('spool'))).toBe(true);
    expect(written.some((f) => f.includes('artifacts'))).toBe(true);
    for (const file of written) {
      const bytes = readFileSync(file);
      for (const form of forms) expect(bytes.includes(form), `${file} holds the key`).toBe(false);
    }
  });

  it('travels only in the Authorization header, never in a request body', () => {
    for (const request of [...good.requests, ...bad.requests]) {
      for (const form of forms) expect(request.bytes.includes(form)).toBe(false);
    }
  });
});
