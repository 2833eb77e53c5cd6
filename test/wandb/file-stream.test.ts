/**
 * The file_stream sender against the local W&B server (a fake faithful to the protocol facts; the
 * W&B cloud cannot run here): batching to one data request per interval, heartbeats, the request
 * size limit, offsets by line, resuming at the server's line count, and the final request.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStream } from '../../src/wandb/file-stream.js';
import { WandbGraphql } from '../../src/wandb/graphql.js';
import { HistorySpool } from '../../src/wandb/history-spool.js';
import { WandbHttp } from '../../src/wandb/http-client.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { TEST_API_KEY } from '../exporters/wandb/wandb-python.js';
import { FakeWandbServer } from '../support/wandb-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FileStream', () => {
  let server: FakeWandbServer;
  let http: WandbHttp;
  let spool: HistorySpool;

  beforeEach(async () => {
    server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    http = new WandbHttp({ baseUrl: server.url, apiKey: TEST_API_KEY, timeoutMs: 5000 });
    spool = new HistorySpool(join(tempDir('spool'), 'history.jsonl'), 64);
    await new WandbGraphql(http).upsertBucket({ name: 'run00001', project: 'p', entity: 'e' });
  });
  afterEach(async () => {
    spool.close();
    await server.close();
  });

  const stream = (options: Partial<ConstructorParameters<typeof FileStream>[0]> = {}) =>
    new FileStream({
      http,
      path: '/files/e/p/run00001/file_stream',
      spool,
      startOffset: 0,
      summary: () => '{}',
      intervalMs: 300,
      heartbeatMs: 60_000,
      ...options,
    });

  it('sends at most one data request per interval, batching the rows logged meanwhile', async () => {
    const sender = stream();
    sender.start();
    for (let i = 0; i < 60; i++) {
      spool.append(JSON.stringify({ _step: i }));
      await sleep(20);
    }
    await sender.stop();
    const stoppedAt = Date.now();
    // At the end, what is left goes out at once.
    const result = await sender.finish(0, [], Date.now() + 10_000);
    expect(result).toEqual({ complete: true, unsentLines: 0 });
    const run = server.onlyRun();
    const data = run.streamRequests.filter((r) => r.lines > 0 && r.at < stoppedAt);
    expect(data.length).toBeGreaterThanOrEqual(2);
    expect(data.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < data.length; i++) {
      expect(data[i]!.at - data[i - 1]!.at).toBeGreaterThanOrEqual(290);
    }
    expect(FakeWandbServer.rows(run).map((r) => r._step)).toEqual([...Array(60).keys()]);
    expect(run).toMatchObject({ complete: true, exitcode: 0, gaps: [] });
  });

  it('sends an empty heartbeat when there was nothing to send for a while', async () => {
    const sender = stream({ intervalMs: 100, heartbeatMs: 250 });
    sender.start();
    await sleep(900);
    await sender.stop();
    const beats = server.onlyRun().streamRequests.filter((r) => r.heartbeat);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.length).toBeLessThanOrEqual(4);
    const bodies = server.requests.filter((r) => r.path.endsWith('file_stream'));
    // The first request carries the (new) summary; the rest are empty.
    expect(bodies.slice(1).map((r) => r.bytes.toString())).toEqual(beats.map(() => '{}'));
  });

  it('keeps every request under the size limit, offsets counting lines', async () => {
    for (let i = 0; i < 300; i++) spool.append(JSON.stringify({ _step: i, text: 'x'.repeat(200) }));
    const sender = stream({ maxRequestBytes: 8 * 1024 });
    const result = await sender.finish(0, [], Date.now() + 10_000);
    expect(result.complete).toBe(true);
    const requests = server.onlyRun().streamRequests;
    expect(requests.length).toBeGreaterThan(8);
    let next = 0;
    for (const request of requests.filter((r) => r.lines > 0)) {
      expect(request.bytes).toBeLessThanOrEqual(8 * 1024);
      expect(request.offset).toBe(next);
      next += request.lines;
    }
    expect(next).toBe(300);
  });

  it('resumes at the line count the server has, sends the summary and the final request', async () => {
    spool.append(JSON.stringify({ _step: 0 }));
    await stream().finish(0, [], Date.now() + 10_000);
    const bucket = await new WandbGraphql(http).upsertBucket({
      name: 'run00001',
      project: 'p',
      entity: 'e',
    });
    expect(bucket).toMatchObject({ inserted: false, historyLineCount: 1 });

    const resumed = new HistorySpool(join(tempDir('spool'), 'h.jsonl'));
    resumed.append(JSON.stringify({ _step: 1 }));
    resumed.append(JSON.stringify({ _step: 2 }));
    const result = await stream({
      spool: resumed,
      startOffset: bucket.historyLineCount,
      summary: () => '{"loss":NaN}',
    }).finish(2, ['config.yaml'], Date.now() + 10_000);
    resumed.close();
    expect(result.complete).toBe(true);
    const run = server.onlyRun();
    expect(FakeWandbServer.rows(run).map((r) => r._step)).toEqual([0, 1, 2]);
    expect(run.summary).toEqual({ loss: Number.NaN });
    expect(run).toMatchObject({ complete: true, exitcode: 2, uploaded: ['config.yaml'], gaps: [] });
  });

  it('gives up at the deadline, reporting the lines the server did not get', async () => {
    server.inject('file_stream', Array(20).fill({ kind: 'status', status: 503 }));
    spool.append('{"_step":0}');
    const result = await stream().finish(0, [], Date.now() + 1500);
    expect(result.complete).toBe(false);
    expect(result.unsentLines).toBe(1);
    expect(result.error?.message).toMatch(/503/);
  });

  it('stops for good on a 404 and says so', async () => {
    spool.append('{"_step":0}');
    const sender = stream({ path: '/files/e/p/nothere1/file_stream' });
    const result = await sender.finish(0, [], Date.now() + 10_000);
    expect(result.complete).toBe(false);
    expect(result.error?.message).toMatch(/file_stream failed: HTTP 404/);
    expect(server.requests.filter((r) => r.path.endsWith('file_stream'))).toHaveLength(1);
  });
});
