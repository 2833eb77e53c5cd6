/**
 * The bridge over HTTP: what the real OTel JS exporters send reaches the backends of the right
 * run and rank; metrics become rows at the producer's step; bad requests of every kind get a 4xx
 * that names the problem, and the bridge keeps serving.
 */
import { gzipSync } from 'node:zlib';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge, type BridgeStats } from '../../src/bridge/bridge.js';
import { type BridgeServer, startBridgeServer } from '../../src/bridge/http-server.js';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { startCapture } from '../support/otlp-capture.js';
import { RecordingBackends } from './recording-backend.js';

const TOKEN = 's3cret-token-value';
const LIMIT = 64 * 1024;
const settings = LoggingConfig.fromDict({ backends: [] }).global;

let backends: RecordingBackends;
let diagnostics: CollectingDiagnostics;
let bridge: Bridge;
let server: BridgeServer;

beforeAll(async () => {
  backends = new RecordingBackends();
  diagnostics = new CollectingDiagnostics();
  bridge = new Bridge({ createBackends: backends.create, settings, diagnostics });
  server = await startBridgeServer(bridge, {
    port: 0,
    token: TOKEN,
    maxBodyBytes: LIMIT,
    diagnostics,
  });
});
afterAll(async () => {
  await server.close();
  await bridge.shutdown();
});

const auth = { Authorization: `Bearer ${TOKEN}` };
/** The message of an error response's google.rpc.Status (JSON). */
const messageOf = async (response: Response) =>
  ((await response.json()) as { message: string }).message;
const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
  fetch(`${server.url}${path}`, { method: 'POST', body, headers });
const jsonLogs = (records: unknown[], resource: Record<string, unknown> = {}) =>
  JSON.stringify({
    resourceLogs: [
      {
        resource: {
          attributes: Object.entries(resource).map(([key, value]) => ({
            key,
            value: typeof value === 'number' ? { intValue: value } : { stringValue: value },
          })),
        },
        scopeLogs: [{ scope: { name: 'test' }, logRecords: records }],
      },
    ],
  });

describe('what the OTel JS exporters send', () => {
  it.each(['http/protobuf', 'http/json'] as const)(
    'reaches the backends of the run and rank in its resource (%s)',
    async (protocol) => {
      const runId = protocol === 'http/json' ? 'jsonrun1' : 'protorun';
      const loggers = [0, 1].map((rank) =>
        createLogger([['otlp', { endpoint: server.url, protocol, headers: auth }]], {
          env: { RANK: String(rank), WORLD_SIZE: '2', JEPA_RUN_ID: runId },
          settings: { run_name: `run-${protocol}`, project: 'bridge-test', handle_signals: false },
          diagnostics,
        }),
      );
      for (const [rank, logger] of loggers.entries()) {
        for (let step = 0; step < 5; step++)
          logger.logMetrics({ 'train/loss': rank + 1 / (step + 1) }, step * 10);
        logger.logText('notes', `rank ${rank}`, 40);
      }
      await Promise.all(loggers.map((logger) => logger.finish()));
      await bridge.flush();

      for (const rank of [0, 1]) {
        const runs = backends.runs.filter(
          (r) => r.identity.id === runId && r.identity.rank === rank,
        );
        expect(runs).toHaveLength(1);
        expect(runs[0]!.identity).toMatchObject({
          name: `run-${protocol}`,
          project: 'bridge-test',
          worldSize: 2,
        });
        const records = runs[0]!.records;
        const rows = records.filter((r) => r.eventName === 'jepa.metrics');
        expect(rows.map((r) => [r.attributes['jepa.step'], r.attributes['train/loss']])).toEqual(
          [0, 1, 2, 3, 4].map((i) => [i * 10, rank + 1 / (i + 1)]),
        );
        expect(records.find((r) => r.eventName === 'jepa.text')?.body).toBe(`rank ${rank}`);
        expect(records.at(-1)?.eventName).toBe('jepa.run.end');
        // The backends see the producer's resource.
        expect(records[0]!.resource.attributes['jepa.rank']).toBe(rank);
      }
    },
  );

  it('turns metrics of foreign instruments into rows at the jepa.step of the same collection', async () => {
    const resource = resourceFromAttributes({ 'jepa.run.id': 'metrics1', 'jepa.rank': 0 });
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${server.url}/v1/metrics`, headers: auth }),
      exportIntervalMillis: 3_600_000,
    });
    const meters = new MeterProvider({ resource, readers: [reader] });
    const meter = meters.getMeter('train.py');
    const step = meter.createGauge('jepa.step');
    const util = meter.createGauge('gpu/util');
    // Our own scope's instruments arrive as events: the bridge leaves them out of rows.
    meters.getMeter('jepa-loggers').createGauge('train/loss').record(9);
    step.record(5);
    util.record(0.5, { device: 1 });
    await meters.forceFlush();
    step.record(6);
    util.record(0.25, { device: 1 });
    await meters.forceFlush();
    await meters.shutdown();
    await bridge.flush();

    const rows = backends.runs
      .filter((r) => r.identity.id === 'metrics1')
      .flatMap((r) => r.records)
      .filter((r) => r.eventName === 'jepa.metrics');
    // Cumulative gauges repeat their last value at shutdown: three collections, three rows.
    expect(rows.map((r) => r.attributes)).toEqual([
      { 'gpu/util/device=1': 0.5, 'jepa.step': 5 },
      { 'gpu/util/device=1': 0.25, 'jepa.step': 6 },
      { 'gpu/util/device=1': 0.25, 'jepa.step': 6 },
    ]);
  });
});

describe('requests the bridge refuses', () => {
  const valid = () => jsonLogs([{ eventName: 'jepa.metrics', attributes: [] }]);

  it('without the bearer token: 401, and the token never appears in diagnostics', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer wrong' },
      { Authorization: TOKEN },
    ];
    for (const headers of wrong) {
      const response = await post('/v1/logs', valid(), {
        'Content-Type': 'application/json',
        ...headers,
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({
        code: 16,
        message: 'a valid bearer token is required',
      });
    }
    expect((await fetch(`${server.url}/stats`)).status).toBe(401);
    expect(JSON.stringify(diagnostics.messages)).not.toContain(TOKEN);
  });

  it('with a content type or encoding that is not OTLP: 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'constructor']) {
      const response = await post('/v1/logs', valid(), { 'Content-Type': type, ...auth });
      expect(response.status).toBe(415);
      expect(await messageOf(response)).toContain(`Content-Type '${type}' is not OTLP`);
    }
    const noType = await fetch(`${server.url}/v1/logs`, {
      method: 'POST',
      body: new Uint8Array([1]),
      headers: auth,
    });
    expect(noType.status).toBe(415);
    const brotli = await post('/v1/logs', valid(), {
      'Content-Type': 'application/json',
      'Content-Encoding': 'br',
      ...auth,
    });
    expect(brotli.status).toBe(415);
    expect(await messageOf(brotli)).toContain("Content-Encoding 'br' is not supported");
  });

  it('malformed bodies: 400 with the decoder message, as a Status in the request encoding', async () => {
    const json = await post('/v1/metrics', '{"resourceMetrics": {', {
      'Content-Type': 'application/json',
      ...auth,
    });
    expect(json.status).toBe(400);
    expect(await messageOf(json)).toMatch(/^malformed JSON ExportMetricsServiceRequest/);

    const proto = await post('/v1/traces', new Uint8Array([0x0a, 0xff, 0x01, 0x00]), {
      'Content-Type': 'application/x-protobuf',
      ...auth,
    });
    expect(proto.status).toBe(400);
    expect(proto.headers.get('content-type')).toBe('application/x-protobuf');
    // google.rpc.Status: field 1 (code) = 3, field 2 (message).
    const status = Buffer.from(await proto.arrayBuffer());
    expect([...status.subarray(0, 2)]).toEqual([0x08, 3]);
    expect(status.toString('utf8')).toContain('malformed protobuf ExportTraceServiceRequest');

    const gzipped = await post('/v1/logs', new Uint8Array([1, 2, 3, 4]), {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
      ...auth,
    });
    expect(gzipped.status).toBe(400);
    expect(await messageOf(gzipped)).toContain('gzip body does not decompress');
  });

  it('bodies over the limit: 413, raw or once decompressed', async () => {
    const huge = Buffer.alloc(LIMIT + 1, 0x20);
    const declared = await post('/v1/logs', huge, { 'Content-Type': 'application/json', ...auth });
    expect(declared.status).toBe(413);
    expect(await messageOf(declared)).toContain(`limit of ${LIMIT} bytes`);

    // A stream without a Content-Length.
    const streamed = await fetch(`${server.url}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(Buffer.alloc(LIMIT / 2, 0x20));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);

    // A small gzip body that inflates past the limit.
    const bomb = gzipSync(Buffer.alloc(LIMIT * 16, 0x20));
    expect(bomb.length).toBeLessThan(LIMIT);
    const inflated = await post('/v1/logs', bomb, {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
      ...auth,
    });
    expect(inflated.status).toBe(413);
  });

  it('other paths and methods: 404 and 405; /health answers without a token', async () => {
    expect(
      (await post('/v1/profiles', valid(), { 'Content-Type': 'application/json', ...auth })).status,
    ).toBe(404);
    const get = await fetch(`${server.url}/v1/logs`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('training events that do not decode: a partial success naming them, the rest kept', async () => {
    const response = await post(
      '/v1/logs',
      jsonLogs(
        [
          { eventName: 'jepa.metrics', attributes: [{ key: 'loss', value: { doubleValue: 1 } }] },
          {
            eventName: 'jepa.metrics',
            attributes: [
              { key: 'jepa.step', value: { intValue: '3' } },
              { key: 'loss', value: { doubleValue: 0.5 } },
            ],
          },
        ],
        { 'jepa.run.id': 'partial1' },
      ),
      { 'Content-Type': 'application/json', ...auth },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedLogRecords).toBe('1');
    expect(body.partialSuccess.errorMessage).toContain("a 'jepa.metrics' record lacks or mistypes");
    await bridge.flush();
    const kept = backends.runs
      .filter((r) => r.identity.id === 'partial1')
      .flatMap((r) => r.records);
    expect(kept.map((r) => r.attributes)).toEqual([{ 'jepa.step': 3, loss: 0.5 }]);
  });

  it('keeps serving after all of the above', async () => {
    const response = await post(
      '/v1/logs',
      jsonLogs(
        [
          {
            eventName: 'jepa.text',
            body: { stringValue: 'still here' },
            attributes: [
              { key: 'jepa.step', value: { intValue: 1 } },
              { key: 'jepa.tag', value: { stringValue: 't' } },
            ],
          },
        ],
        { 'jepa.run.id': 'alive123' },
      ),
      { 'Content-Type': 'application/json', ...auth },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const stats = (await (
      await fetch(`${server.url}/stats`, { headers: auth })
    ).json()) as BridgeStats;
    expect(stats.rejected).toBe(1);
    expect(stats.events['jepa.text']).toBeGreaterThanOrEqual(1);
  });
});

describe('the run lifecycle', () => {
  it('closes a run after its end event and after the idle timeout; a later request reopens it', async () => {
    const lifecycle = new RecordingBackends();
    const local = new Bridge({
      createBackends: lifecycle.create,
      settings,
      diagnostics,
      idleTimeoutMs: 300,
      endGraceMs: 100,
    });
    const localServer = await startBridgeServer(local, { port: 0, diagnostics });
    expect(localServer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const send = (records: unknown[]) =>
      fetch(`${localServer.url}/v1/logs`, {
        method: 'POST',
        body: jsonLogs(records, { 'jepa.run.id': 'life1234' }),
        headers: { 'Content-Type': 'application/json' },
      });
    const row = (step: number) => ({
      eventName: 'jepa.metrics',
      attributes: [
        { key: 'jepa.step', value: { intValue: step } },
        { key: 'x', value: { doubleValue: step } },
      ],
    });
    try {
      expect((await send([row(1)])).status).toBe(200);
      expect(local.stats.openRuns).toBe(1);
      await waitUntil(() => lifecycle.runs[0]!.shutdowns === 1);
      expect(local.stats.openRuns).toBe(0);

      expect((await send([row(2), { eventName: 'jepa.run.end', attributes: [] }])).status).toBe(
        200,
      );
      await waitUntil(() => lifecycle.runs[1]?.shutdowns === 1, 250);
      expect(lifecycle.runs.map((r) => r.records.map((x) => x.eventName))).toEqual([
        ['jepa.metrics'],
        ['jepa.metrics', 'jepa.run.end'],
      ]);

      // Shutdown flushes and closes what is open.
      expect((await send([row(3)])).status).toBe(200);
      await localServer.close();
      await local.shutdown();
      expect(lifecycle.runs[2]?.shutdowns).toBe(1);
    } finally {
      await localServer.close();
      await local.shutdown();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('arbitrary bodies', () => {
  it('get 200 or 400, never a crash: mutated real bodies and arbitrary JSON', async () => {
    // A real body to mutate: what the OTel JS exporter sends for a few rows.
    const capture = await startCapture();
    const seedLogger = createLogger(
      [['otlp', { endpoint: capture.url, protocol: 'http/protobuf' }]],
      { env: { JEPA_RUN_ID: 'fuzzseed' }, settings: { handle_signals: false }, diagnostics },
    );
    for (let step = 0; step < 3; step++) seedLogger.logMetrics({ loss: step / 3 }, step);
    await seedLogger.finish();
    await capture.close();
    const seed = capture.requests.find((r) => r.path === '/v1/logs')!.body;

    const mutated = fc
      .tuple(fc.nat(seed.length), fc.nat(seed.length), fc.integer({ min: 0, max: 255 }))
      .map(([cut, at, byte]) => {
        const body = Buffer.from(seed.subarray(0, Math.max(cut, at + 1)));
        body[at % body.length] = byte;
        return { type: 'application/x-protobuf', body: new Uint8Array(body) };
      });
    const json = fc.jsonValue().map((value) => ({
      type: 'application/json',
      body: new TextEncoder().encode(JSON.stringify({ resourceLogs: [value] })),
    }));
    const paths = fc.constantFrom('/v1/logs', '/v1/metrics', '/v1/traces');
    await fc.assert(
      fc.asyncProperty(paths, fc.oneof(mutated, json), async (path, { type, body }) => {
        const response = await post(path, body, { 'Content-Type': type, ...auth });
        await response.arrayBuffer();
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: 300 },
    );
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(diagnostics.at('ERROR')).toEqual([]);
  });
});
