/**
 * Must-show 1, exactly once: a run of 5,000 steps streamed to the local W&B server while it
 * answers 429 with Retry-After, bursts of 500, resets connections (before and after taking a
 * request) and stalls 10 s. Every row arrives once, in order, at contiguous offsets, and the final
 * request arrives. The server is a fake faithful to the protocol facts (the W&B cloud cannot run
 * here): like W&B, a repeated offset rewrites those lines, so a request the server took but whose
 * answer was lost is harmless when sent again; the test checks every such rewrite was identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import { WandbLogger } from '../../../src/loggers/wandb-logger.js';
import {
  FakeWandbServer,
  type Fault,
  parseWandbJson,
  type ReceivedRequest,
} from '../../support/wandb-server.js';
import { tempDir } from './temp-dirs.js';
import { TEST_API_KEY } from './wandb-python.js';

const STEPS = 5000;
const pass: Fault = { kind: 'pass' };
const status = (code: number, retryAfter?: string): Fault => ({
  kind: 'status',
  status: code,
  retryAfter,
});

describe('exactly once through a faulty W&B server', () => {
  let server: FakeWandbServer;
  const diagnostics = new CollectingDiagnostics();
  let startedAt = 0;
  let finishedAt = 0;

  beforeAll(async () => {
    server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    server.inject('file_stream', [
      pass,
      pass,
      status(429, '1'),
      pass,
      status(500),
      status(500),
      status(500),
      pass,
      { kind: 'reset', when: 'before' },
      pass,
      { kind: 'reset', when: 'after' },
      pass,
      { kind: 'stall', ms: 10_000 },
      pass,
      status(503),
    ]);
    server.inject(
      (r) => (r.json as { complete?: boolean } | undefined)?.complete === true,
      [status(502)],
    );
    const logger = new WandbLogger(
      {
        project: 'reliability',
        entity: 'my-team',
        mode: 'online',
        dir: tempDir('wandb-once'),
        // Short intervals so the test is quick; the product keeps W&B's 15 s and 30 s.
        stream_interval: 0.2,
        heartbeat_interval: 1,
        // Shorter than the 10 s stall: the client gives up on it and sends again.
        request_timeout: 3,
        finish_timeout: 90,
      },
      {
        env: { WANDB_API_KEY: TEST_API_KEY, WANDB_BASE_URL: server.url },
        diagnostics,
        settings: { handle_signals: false },
      },
    );
    startedAt = Date.now();
    for (let step = 0; step < STEPS; step++) {
      logger.logMetrics({ 'train/loss': 1 / (step + 1), 'train/twice': 2 * step }, step);
      if (step % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await logger.finish();
    finishedAt = Date.now();
  }, 180_000);
  afterAll(() => server.close());

  it('went through every scripted fault, the 10 s stall included', () => {
    expect(server.pendingFaults).toBe(0);
    const stalled = server.requests.find((r) => r.fault?.kind === 'stall')!;
    expect(stalled).toBeDefined();
    // The client did not wait out the stall: it timed out and sent again.
    const after = streamRequests().find((r) => r.at > stalled.at)!;
    expect(after.at - stalled.at).toBeLessThan(9000);
    expect(finishedAt - startedAt).toBeLessThan(120_000);
  });

  it('received every row once, in order, with the values logged', () => {
    const run = server.onlyRun();
    const rows = FakeWandbServer.rows(run);
    expect(rows).toHaveLength(STEPS);
    rows.forEach((row, step) => {
      expect(row._step).toBe(step);
      expect(row['train/loss']).toBe(1 / (step + 1));
      expect(row['train/twice']).toBe(2 * step);
    });
  });

  it('saw contiguous offsets: no gap, and only identical rewrites of lines it had taken', () => {
    const run = server.onlyRun();
    expect(run.gaps).toEqual([]);
    expect(run.rewrites.every((r) => r.identical)).toBe(true);
    // Rewrites come only from requests whose answer was lost (the reset after taking it, and the
    // stalled one processed after the client had moved on).
    expect(run.rewrites.length).toBeGreaterThan(0);
    let end = 0;
    for (const request of run.streamRequests.filter((r) => r.offset !== undefined)) {
      expect(request.offset).toBeLessThanOrEqual(end);
      end = Math.max(end, request.offset! + request.lines);
    }
    expect(end).toBe(STEPS);
  });

  it('honoured Retry-After and backed off after 5xx and resets', () => {
    const requests = streamRequests();
    const limited = requests.findIndex((r) => r.fault?.kind === 'status' && r.fault.status === 429);
    expect(requests[limited + 1]!.at - requests[limited]!.at).toBeGreaterThanOrEqual(990);
    const burst = requests.findIndex((r) => r.fault?.kind === 'status' && r.fault.status === 500);
    // 2^n * 2 s with 25% jitter: at least 1.5 s, 3 s and 6 s between the attempts.
    for (const [i, least] of [
      [0, 1500],
      [1, 3000],
      [2, 6000],
    ] as const) {
      expect(requests[burst + i + 1]!.at - requests[burst + i]!.at).toBeGreaterThanOrEqual(
        least - 10,
      );
    }
  });

  it('received the final request, complete with the exit code, after the summary and rows', () => {
    const run = server.onlyRun();
    expect(run.complete).toBe(true);
    expect(run.exitcode).toBe(0);
    const finals = server.requests.filter(
      (r) => (r.json as { complete?: boolean } | undefined)?.complete === true,
    );
    // The injected 502 first, then retries until one is taken (a loaded machine may time out and
    // retry once more; W&B takes a repeated final request as the same one).
    const kinds = finals.map((r) => r.fault?.kind ?? 'taken');
    expect(kinds[0]).toBe('status');
    expect(kinds.at(-1)).toBe('taken');
    for (const request of finals) expect((request.json as { exitcode?: number }).exitcode).toBe(0);
    // The last summary the client sent (requests are recorded as they arrive) is the final one.
    // (The server's own copy is last-writer-wins: a request the client gave up on at its 3 s
    // timeout, that the stalled server applies 10 s later, can land after it; see
    // docs/backends/wandb.md. Rows cannot go back: a late copy rewrites identical lines.)
    const summaries = streamRequests()
      .map((r) => (r.json as { files?: Record<string, { content: string[] }> }).files)
      .map((files) => files?.['wandb-summary.json']?.content.at(-1))
      .filter((summary): summary is string => summary !== undefined);
    expect(parseWandbJson(summaries.at(-1)!)).toMatchObject({
      _step: STEPS - 1,
      'train/twice': 2 * (STEPS - 1),
    });
    for (const request of run.streamRequests) expect(request.bytes).toBeLessThan(10 * 1024 * 1024);
    expect(run.uploaded).toEqual(
      expect.arrayContaining(['config.yaml', 'wandb-summary.json', 'wandb-metadata.json']),
    );
    expect(diagnostics.at('ERROR')).toEqual([]);
    expect(diagnostics.at('WARNING').join('\n')).toMatch(/retrying in .*nothing is lost/);
  });

  it('ends each outage warning with a recovery line at the same level, WARNING', () => {
    const retries = diagnostics.at('WARNING').filter((line) => /retrying in/.test(line));
    const recoveries = diagnostics.at('WARNING').filter((line) => /answers again/.test(line));
    expect(retries.length).toBeGreaterThan(0);
    expect(recoveries).toHaveLength(retries.length);
    expect(diagnostics.at('INFO').filter((line) => /answers again/.test(line))).toEqual([]);
  });

  function streamRequests(): ReceivedRequest[] {
    return server.requests.filter((r) => r.path.endsWith('/file_stream'));
  }
});
