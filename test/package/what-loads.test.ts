/**
 * What `import 'jepa-loggers'` loads for each kind of logger, in a fresh process of the built
 * package: the OTel SDK packages only for what needs them (OTLP, `register_global`), never for a
 * console, TensorBoard or offline W&B run, from the import to `finish()`; and in a process
 * without OTel of its own, the OTel API only once a decorated call makes a span.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNode } from '../support/child.js';
import { repoRoot, requireDist } from '../support/dist.js';

const SDK = [
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-logs',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/semantic-conventions',
];

let dir: string;
beforeAll(() => {
  requireDist();
  dir = mkdtempSync(join(tmpdir(), 'jepa-what-loads-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The packages (by name) a process loaded after running `config` from import to finish, a
 * decorated call included when `decorated`, and the files of ours it required on first use
 * (`dist/...`).
 */
async function packagesLoaded(
  config: Record<string, unknown>,
  decorated = true,
): Promise<string[]> {
  const program = `
    const { createLogger, logExecutionTime } = await import(${JSON.stringify(join(repoRoot, 'dist/index.js'))});
    const logger = createLogger(${JSON.stringify(config)});
    logger.logMetrics({ loss: 0.5, accuracy: 0.9 }, 1);
    logger.logText('note', 'a text event', 1);
    logger.logHyperparams({ lr: 0.1 });
    ${decorated ? 'logExecutionTime(logger)(function step() { return 1; })();' : ''}
    await logger.finish();
    const { createRequire } = await import('node:module');
    const files = Object.keys(createRequire(import.meta.url).cache);
    const names = files.map((f) =>
      f.startsWith(${JSON.stringify(join(repoRoot, 'dist'))})
        ? 'dist' + f.slice(${JSON.stringify(join(repoRoot, 'dist'))}.length)
        : f.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//)?.[1],
    );
    process.stdout.write(JSON.stringify([...new Set(names.filter(Boolean))].sort()));`;
  const result = await runNode(['--input-type=module', '-e', program], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as string[];
}

const localBackends = () => ({
  backends: ['console', 'tensorboard', 'wandb'],
  console: { level: 'WARNING' },
  tensorboard: { log_dir: join(dir, 'tb') },
  wandb: { mode: 'offline', dir: join(dir, 'wandb') },
});

describe("the OTel SDK is loaded only when a logger's backends need it", () => {
  it('console, TensorBoard and offline W&B with a decorated call: the API only', async () => {
    const loaded = await packagesLoaded(localBackends());
    expect(loaded.filter((name) => SDK.includes(name))).toEqual([]);
    expect(loaded).toContain('@opentelemetry/api');
  });

  it('console, TensorBoard and offline W&B in a process without OTel: no OTel package', async () => {
    const loaded = await packagesLoaded(localBackends(), false);
    expect(loaded.filter((name) => name.startsWith('@opentelemetry/'))).toEqual([]);
  });

  it('the W&B client only for a W&B run', async () => {
    expect(await packagesLoaded(localBackends(), false)).toContain('dist/wandb/index.js');
    const { wandb: _unused, ...others } = localBackends();
    const loaded = await packagesLoaded({ ...others, backends: ['console', 'tensorboard'] });
    expect(loaded).not.toContain('dist/wandb/index.js');
  });

  it('OTLP: the SDK it exports through', async () => {
    const loaded = await packagesLoaded({
      backends: ['otlp'],
      // Nothing listens here: the exports fail, which is not what this test looks at.
      otlp: { endpoint: 'http://127.0.0.1:9', timeout: 1 },
    });
    for (const name of [
      '@opentelemetry/sdk-logs',
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/sdk-trace',
    ])
      expect(loaded).toContain(name);
  });
});
