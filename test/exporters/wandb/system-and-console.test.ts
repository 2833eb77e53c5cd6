/**
 * Issue 18, must-shows 1, 2 and 5: system metrics and console output reach W&B as its own client
 * sends them. Online, against the local W&B server (a fake: the W&B cloud cannot run here; see
 * test/support/wandb-server.ts): `wandb-events.jsonl` lines at the sampling interval under W&B's
 * keys, and `output.log` lines in order, the API key masked: by default what our console backend
 * prints, with `capture_output` everything the process prints. Offline, uploaded by the real
 * `wandb sync` (wandb 0.31) to the same server: its stats and output records arrive there too.
 * Both carry the config's `_wandb` key and `wandb-metadata.json` with the app's package.json.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWandbSync } from '../../../src/cli/wandb-sync.js';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import { createLogger } from '../../../src/loggers/multi-logger.js';
import { WandbLogger } from '../../../src/loggers/wandb-logger.js';
import { CaptureStream } from '../../support/capture-stream.js';
import { type FakeRun, FakeWandbServer, parseWandbJson } from '../../support/wandb-server.js';
import { tempDir } from './temp-dirs.js';
import { readWandbFile, TEST_API_KEY, wandbSync } from './wandb-python.js';

const ownPackage = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { name: string; version: string; dependencies: Record<string, string> };
const INTERVAL_S = 0.25;
/** An output.log line as wandb-core streams it: `ERROR ` for stderr, UTC time in microseconds. */
const WANDB_LINE = /^(ERROR )?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} /;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Logs rows for `ms`, printing three lines (one with the API key, one to stderr) on the way. */
async function train(logger: WandbLogger, ms: number): Promise<number[]> {
  const rssSeen: number[] = [];
  const end = Date.now() + ms;
  for (let step = 0; Date.now() < end; step++) {
    logger.logMetrics({ 'train/loss': 1 / (step + 1) }, step);
    if (step === 1) process.stdout.write(`epoch 1 started\nkey ${TEST_API_KEY} in a line\n`);
    if (step === 2) process.stderr.write('a warning on stderr\n');
    rssSeen.push(process.memoryUsage().rss);
    await sleep(20);
  }
  process.stdout.write('training done\n');
  return rssSeen;
}

function lines(run: FakeRun, file: string): string[] {
  return run.streamed.get(file) ?? [];
}

describe('W&B online: system metrics and console output', () => {
  let server: FakeWandbServer;
  let run: FakeRun;
  let rssSeen: number[];
  /** Before and after the logger was made: the run's start time lies between. */
  let startedAt: [number, number];

  beforeAll(async () => {
    server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    const before = Date.now();
    const logger = new WandbLogger(
      {
        project: 'system',
        entity: 'my-team',
        mode: 'online',
        dir: tempDir('wandb-system'),
        // Short intervals so the test is quick; the product keeps W&B's 15 s.
        stream_interval: 0.2,
        capture_output: true,
      },
      {
        env: { WANDB_API_KEY: TEST_API_KEY, WANDB_BASE_URL: server.url },
        diagnostics: new CollectingDiagnostics(),
        settings: { handle_signals: false, system_metrics_interval: INTERVAL_S },
      },
    );
    startedAt = [before, Date.now()];
    rssSeen = await train(logger, 2000);
    await logger.finish();
    run = server.run('my-team', 'system', logger.identity.id)!;
  }, 60_000);

  afterAll(() => server.close());

  it('streams wandb-events.jsonl lines at the interval, with W&B keys and plausible values', () => {
    const events = lines(run, 'wandb-events.jsonl').map(
      (line) => parseWandbJson(line) as Record<string, number>,
    );
    // 2 s at 0.25 s: about 8 samples (the first one interval in); timers on a busy machine slip.
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.length).toBeLessThanOrEqual(9);
    // In order, at the interval on average (a sample a busy machine delays shortens the next gap).
    const times = events.map((event) => event._timestamp!);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(0);
    const meanGap = (times.at(-1)! - times[0]!) / gaps.length;
    expect(meanGap).toBeGreaterThan(INTERVAL_S * 0.8);
    expect(meanGap).toBeLessThan(INTERVAL_S * 1.5);
    const rssMin = Math.min(...rssSeen) / 2 ** 20;
    const rssMax = Math.max(...rssSeen) / 2 ** 20;
    for (const event of events) {
      expect(event).toMatchObject({ _wandb: true });
      // Seconds since the run started (making the logger may take a while on a busy machine).
      expect(event._runtime).toBeGreaterThanOrEqual(event._timestamp! - startedAt[1] / 1000 - 0.01);
      expect(event._runtime).toBeLessThanOrEqual(event._timestamp! - startedAt[0] / 1000 + 0.01);
      expect(event['system.cpu']).toBeGreaterThanOrEqual(0);
      expect(event['system.cpu']).toBeLessThanOrEqual(100 * availableParallelism());
      expect(event['system.memory_percent']).toBeGreaterThan(0);
      expect(event['system.memory_percent']).toBeLessThan(100);
      expect(event['system.proc.memory.percent']).toBeGreaterThan(0);
      expect(event['system.disk./.usagePercent']).toBeGreaterThan(0);
      expect(event['system.nodejs.eventloop.delay.p99']).toBeGreaterThanOrEqual(0);
      // Within 10 % of what the process saw itself during the run.
      expect(event['system.proc.memory.rssMB']).toBeGreaterThan(rssMin * 0.9);
      expect(event['system.proc.memory.rssMB']).toBeLessThan(rssMax * 1.1);
    }
  });

  it('streams the console output as output.log, in order, stderr marked, the key masked', () => {
    const output = lines(run, 'output.log');
    const printed = output.map((line) => line.replace(/^(ERROR )?\S+ /, '$1'));
    expect(printed).toEqual([
      'epoch 1 started',
      'key *** in a line',
      'ERROR a warning on stderr',
      'training done',
    ]);
    for (const line of output) {
      expect(line).toMatch(WANDB_LINE);
      expect(line).not.toContain(TEST_API_KEY);
    }
    expect(run.uploaded).toContain('output.log');
    expect(run.files.get('output.log')?.toString()).toBe(`${output.join('\n')}\n`);
  });

  it('sends no tags when none were given, the client in _wandb, the machine and app in wandb-metadata.json', () => {
    const upserts = server.requests.filter((r) => r.operation === 'UpsertBucket');
    const variables = (upserts[0]!.json as { variables: Record<string, unknown> }).variables;
    expect(variables).not.toHaveProperty('tags');
    const metadata = JSON.parse(run.files.get('wandb-metadata.json')!.toString());
    expect(metadata.cpu_count).toBe(availableParallelism());
    expect(metadata.cpu_count_logical).toBeGreaterThanOrEqual(metadata.cpu_count);
    expect(metadata.memory.total).toBeGreaterThan(0);
    expect(metadata.disk['/'].total).toBeGreaterThan(metadata.disk['/'].used);
    expectClientAndApp(run);
  });
});

/**
 * `_wandb` names this client and Node.js (a `wandb sync` adds its own telemetry there); the
 * metadata has the app's package.json (this repository's).
 */
function expectClientAndApp(run: FakeRun): void {
  expect(run.config._wandb).toMatchObject({
    value: {
      client: 'jepa-loggers',
      cli_version: ownPackage.version,
      node_version: process.versions.node,
    },
  });
  const metadata = JSON.parse(run.files.get('wandb-metadata.json')!.toString());
  expect(metadata.package).toEqual({
    name: ownPackage.name,
    version: ownPackage.version,
    dependencies: ownPackage.dependencies,
  });
}

describe('W&B online, a continued run', () => {
  it("appends its system metrics and console output after the server's lines", async () => {
    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      const session = async (text: string) => {
        const logger = new WandbLogger(
          {
            project: 'system',
            entity: 'my-team',
            id: 'resumed1',
            mode: 'online',
            resume: 'allow',
            dir: tempDir('wandb-resumed'),
            capture_output: true,
          },
          {
            env: { WANDB_API_KEY: TEST_API_KEY, WANDB_BASE_URL: server.url },
            diagnostics: new CollectingDiagnostics(),
            settings: { handle_signals: false, system_metrics_interval: 0.1 },
          },
        );
        logger.logMetrics({ loss: 1 });
        process.stdout.write(`${text}\n`);
        await sleep(350);
        await logger.finish();
      };
      await session('first session');
      const run = server.run('my-team', 'system', 'resumed1')!;
      const eventsBefore = lines(run, 'wandb-events.jsonl').length;
      expect(eventsBefore).toBeGreaterThan(0);
      await session('second session');
      expect(lines(run, 'output.log').map((line) => line.replace(/^\S+ /, ''))).toEqual([
        'first session',
        'second session',
      ]);
      expect(lines(run, 'wandb-events.jsonl').length).toBeGreaterThan(eventsBefore);
      expect(lines(run, 'wandb-events.jsonl')).not.toContain(undefined);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('W&B offline: stats and output records, uploaded by the real wandb sync', () => {
  let server: FakeWandbServer;
  let dir: string;
  let id: string;

  beforeAll(async () => {
    server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    const root = tempDir('wandb-system-offline');
    const logger = new WandbLogger(
      { project: 'system', entity: 'my-team', mode: 'offline', dir: root, capture_output: true },
      {
        // The key in the environment of an offline run is masked too: a sync would upload it.
        env: { WANDB_API_KEY: TEST_API_KEY },
        diagnostics: new CollectingDiagnostics(),
        settings: { handle_signals: false, system_metrics_interval: INTERVAL_S },
      },
    );
    await train(logger, 1200);
    await logger.finish();
    id = logger.identity.id;
    dir = join(root, 'wandb', readdirSync(join(root, 'wandb'))[0]!);
  }, 60_000);

  afterAll(() => server.close());

  it('writes stats and output_raw records that the wandb package reads', async () => {
    const records = (await readWandbFile(join(dir, `run-${id}.wandb`))).map((r) => r.record);
    const stats = records.filter((r) => r.stats);
    expect(stats.length).toBeGreaterThanOrEqual(3);
    const keys = stats[0].stats.item.map((item: { key: string }) => item.key);
    expect(keys).toEqual(expect.arrayContaining(['cpu', 'memory_percent', 'proc.memory.rssMB']));
    const output = records.filter((r) => r.output_raw).map((r) => r.output_raw);
    expect(output.map((o: { line: string }) => o.line).join('')).toBe(
      'epoch 1 started\nkey *** in a line\na warning on stderr\ntraining done\n',
    );
    expect(readFileSync(join(dir, `run-${id}.wandb`)).includes(TEST_API_KEY)).toBe(false);
  });

  it('is uploaded by wandb sync: the system stats and output.log arrive at the server', async () => {
    await wandbSync([dir], server.url);
    const run = server.run('my-team', 'system', id)!;
    const events = lines(run, 'wandb-events.jsonl').map(
      (line) => parseWandbJson(line) as Record<string, number>,
    );
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events[0]).toHaveProperty('system.cpu');
    expect(events[0]).toHaveProperty('system.proc.memory.rssMB');
    const output = lines(run, 'output.log');
    for (const line of output) expect(line).toMatch(WANDB_LINE);
    expect(output.map((line) => line.replace(/^(ERROR )?\S+ /, '$1'))).toEqual([
      'epoch 1 started',
      'key *** in a line',
      'ERROR a warning on stderr',
      'training done',
    ]);
    expectClientAndApp(run);
  }, 120_000);

  it('is uploaded by our wandb-sync as by wandb sync: the same stats and output lines', async () => {
    const ours = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      const out = new CaptureStream();
      const code = await runWandbSync(['--include-synced', dir], {
        out,
        err: out,
        env: { WANDB_BASE_URL: ours.url, WANDB_API_KEY: TEST_API_KEY },
      });
      expect(code, out.text).toBe(0);
      const theirs = server.run('my-team', 'system', id)!;
      const mine = ours.run('my-team', 'system', id)!;
      // Times aside (wandb-core stamps output lines when it streams them), the lines are equal.
      const withoutTimes = (line: string) => {
        const { _timestamp, _runtime, ...rest } = parseWandbJson(line) as Record<string, number>;
        return rest;
      };
      expect(lines(mine, 'wandb-events.jsonl').map(withoutTimes)).toEqual(
        lines(theirs, 'wandb-events.jsonl').map(withoutTimes),
      );
      const text = (line: string) => line.replace(/^(ERROR )?\S+ /, '$1');
      for (const line of lines(mine, 'output.log')) expect(line).toMatch(WANDB_LINE);
      expect(lines(mine, 'output.log').map(text)).toEqual(lines(theirs, 'output.log').map(text));
    } finally {
      await ours.close();
    }
  }, 120_000);
});

describe("W&B by default: the console backend's lines in output.log, nothing else printed", () => {
  /** Logs five rows and a text with the API key; prints a line of its own, which is not copied. */
  async function run(mode: 'online' | 'offline', server: FakeWandbServer) {
    const printed = new CaptureStream();
    const root = tempDir(`wandb-console-${mode}`);
    const logger = createLogger(
      {
        backends: ['console', 'wandb'],
        console: { stream: printed, colored: false },
        wandb: { project: 'console', entity: 'my-team', mode, dir: root, stream_interval: 0.2 },
      },
      {
        env: { WANDB_API_KEY: TEST_API_KEY, WANDB_BASE_URL: server.url },
        diagnostics: new CollectingDiagnostics(),
        settings: { handle_signals: false, system_metrics: false },
      },
    );
    for (let step = 0; step < 5; step++) {
      logger.logMetrics({ 'train/loss': 1 / (step + 1) }, step);
      if (step === 2) logger.logText('note', `key ${TEST_API_KEY} in a line`, step);
      process.stdout.write('printed by the app, not by the console backend\n');
    }
    await logger.finish();
    // Every line the console backend printed, the key masked: no more, no fewer.
    const expected = printed.lines.map((line) => line.replaceAll(TEST_API_KEY, '***'));
    expect(expected.length).toBeGreaterThanOrEqual(6);
    expect(printed.text).toContain(TEST_API_KEY);
    return { id: logger.identity.id, root, expected };
  }

  function expectOutputLog(server: FakeWandbServer, id: string, expected: string[]): void {
    const output = lines(server.run('my-team', 'console', id)!, 'output.log');
    for (const line of output) {
      expect(line).toMatch(WANDB_LINE);
      expect(line).not.toContain(TEST_API_KEY);
    }
    expect(output.map((line) => line.replace(/^\S+ /, ''))).toEqual(expected);
  }

  it('online: streamed to the server in order, the key masked', async () => {
    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      const { id, expected } = await run('online', server);
      expectOutputLog(server, id, expected);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('offline: uploaded by the real wandb sync in order, the key masked', async () => {
    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    try {
      const { id, root, expected } = await run('offline', server);
      await wandbSync([join(root, 'wandb', readdirSync(join(root, 'wandb'))[0]!)], server.url);
      expectOutputLog(server, id, expected);
    } finally {
      await server.close();
    }
  }, 120_000);
});
