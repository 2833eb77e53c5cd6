/**
 * Secrets appear nowhere we write. A child process runs with a W&B key (online against the local
 * W&B server, and offline), an OTLP header token given in `otlp.headers`, another in
 * OTEL_EXPORTER_OTLP_HEADERS (which the bridge refuses), the bridge's bearer token, and a
 * decorated function called with `apiKey` and `token` arguments. Then every output is searched
 * for every secret (raw, a 12-character prefix, base64, and W&B's base64 of `api:<key>`): the
 * child's stdout and stderr at DEBUG level (console rows, diagnostics, the errors it printed, the
 * logger objects printed with `inspect`, config dumps, the spans and log records of its OTel
 * pipeline), `validate-config` output, the bridge's output, and every file written under the run
 * directories and by the bridge. The W&B server is the local fake (the W&B cloud cannot run
 * here); the bridge is the real `jepa-loggers bridge` process.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/test-env.mjs';
import { startCli } from '../collector/pipeline.js';
import { distCli, ensureBuilt } from '../exporters/tensorboard/built.js';
import { eventually, type ManagedProcess } from '../support/processes.js';
import { FakeWandbServer } from '../support/wandb-server.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const secrets = {
  WANDB_API_KEY: hex(20),
  OTLP_TOKEN: hex(16),
  BRIDGE_TOKEN: hex(16),
  ENV_TOKEN: hex(16),
  CALL_SECRET: hex(16),
};
/** Every form a secret could leak in. */
const forms = Object.entries(secrets).flatMap(([name, secret]) => [
  { name, form: secret },
  { name: `${name} (prefix)`, form: secret.slice(0, 12) },
  { name: `${name} (base64)`, form: Buffer.from(secret).toString('base64') },
  { name: `${name} (base64 api:)`, form: Buffer.from(`api:${secret}`).toString('base64') },
]);

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** The secrets found in `text`, by name. */
function leaks(text: string | Buffer): string[] {
  return forms.filter(({ form }) => text.includes(form)).map(({ name }) => name);
}

describe('secrets', () => {
  const root = mkdtempSync(join(tmpdir(), 'secrets-'));
  let wandb: FakeWandbServer;
  let bridge: ManagedProcess;
  let child: { stdout: string; stderr: string };
  let validate: string;

  beforeAll(async () => {
    ensureBuilt();
    wandb = await FakeWandbServer.start({ apiKey: secrets.WANDB_API_KEY });
    const bridgeConfig = join(root, 'bridge.yaml');
    writeFileSync(
      bridgeConfig,
      `backends: [console, tensorboard]\nconsole:\n  stream: stdout\n  colored: false\ntensorboard:\n  log_dir: ${join(root, 'bridge-tb')}\n`,
    );
    bridge = startCli('bridge', ['bridge', '--port', '0', '--config', bridgeConfig], {
      env: { JEPA_BRIDGE_TOKEN: secrets.BRIDGE_TOKEN, JEPA_LOGGERS_LOG_LEVEL: 'DEBUG' },
    });
    const bridgeUrl = await eventually(
      'the bridge to listen',
      () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(bridge.output())?.[1],
    );
    const run = await promisify(execFile)(
      join(repoRoot, 'node_modules', '.bin', 'vite-node'),
      [join(import.meta.dirname, 'children', 'secrets-run.ts')],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          HOME: root,
          JEPA_LOGGERS_LOG_LEVEL: 'DEBUG',
          RUN_ROOT: join(root, 'runs'),
          GOOD_URL: wandb.url,
          BRIDGE_URL: bridgeUrl,
          ...secrets,
        },
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    child = run;

    // validate-config on a file holding the secrets, and with them in the environment.
    const yaml = join(root, 'config.yaml');
    writeFileSync(
      yaml,
      [
        'logging:',
        '  backends: [wandb, otlp]',
        '  wandb:',
        `    api_key: "${secrets.WANDB_API_KEY}"`,
        '    mode: online',
        '    log_frequncy: 3',
        '  otlp:',
        `    headers: {Authorization: "Bearer ${secrets.OTLP_TOKEN}", x-other: "${secrets.ENV_TOKEN}"}`,
        '',
      ].join('\n'),
    );
    const cli = (file: string) =>
      spawnSync(process.execPath, [distCli, 'validate-config', file], {
        encoding: 'utf8',
        env: {
          ...process.env,
          WANDB_API_KEY: secrets.WANDB_API_KEY,
          OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${secrets.ENV_TOKEN}`,
        },
      });
    const valid = cli(yaml);
    writeFileSync(
      join(root, 'bad.yaml'),
      `logging:\n  wandb:\n    api_key: ["${secrets.WANDB_API_KEY}"]\n  otlp:\n    headers: "Bearer ${secrets.OTLP_TOKEN}"\n`,
    );
    const invalid = cli(join(root, 'bad.yaml'));
    validate = [valid.stdout, valid.stderr, invalid.stdout, invalid.stderr].join('\n');
    bridge.child.kill('SIGTERM');
    await bridge.exited;
  }, 180_000);

  afterAll(async () => {
    await bridge?.stop();
    await wandb?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('were really used: the runs ran, the bridge took the token, refused the other, and the refusal was reported', () => {
    expect(child.stdout).not.toMatch(/child error/);
    expect(wandb.onlyRun()).toMatchObject({ complete: true });
    expect(
      wandb.requests.some((r) =>
        r.authorization?.includes(Buffer.from(`api:${secrets.WANDB_API_KEY}`).toString('base64')),
      ),
    ).toBe(true);
    expect(bridge.output()).toMatch(/step 19 \| loss /);
    expect(child.stderr).toMatch(/otlp: .*lost \d+ log records.*HTTP 401/);
    expect(child.stdout).toMatch(/"jepa\.call\.arg\.apiKey":"\[REDACTED\]"/);
    expect(child.stdout).toMatch(/"jepa\.call\.arg\.batch":19/);
    expect(validate).toMatch(/log_frequncy/);
    expect(validate).toMatch(/api_key/);
  });

  it('are in no console output, diagnostic, printed error, printed logger, span, log record or config dump', () => {
    expect(child.stdout.length + child.stderr.length).toBeGreaterThan(10_000);
    expect(leaks(child.stdout)).toEqual([]);
    expect(leaks(child.stderr)).toEqual([]);
  });

  it('are in no validate-config output', () => {
    expect(leaks(validate)).toEqual([]);
  });

  it("are in none of the bridge's output", () => {
    expect(leaks(bridge.output())).toEqual([]);
  });

  it('are in no file written: TensorBoard, W&B runs, spool, media, staged models, the bridge’s files', () => {
    const written = [...files(join(root, 'runs')), ...files(join(root, 'bridge-tb'))];
    expect(written.some((f) => f.includes('tfevents'))).toBe(true);
    expect(written.some((f) => f.endsWith('.wandb'))).toBe(true);
    expect(written.some((f) => f.includes('spool'))).toBe(true);
    expect(written.some((f) => f.includes('bridge-tb'))).toBe(true);
    for (const file of written) expect(leaks(readFileSync(file)), file).toEqual([]);
  });
});
