/**
 * OTLP bodies sent to the bridge, thousands of them (fast-check): real requests of the OTel JS
 * exporters (logs, metrics, traces; protobuf and JSON) mutated byte by byte or cut short,
 * arbitrary bytes, arbitrary JSON, gzip bodies good and bad, bodies past the size limit, and
 * content types and encodings right and wrong. Every answer is 200, 400, 413 or 415, never a 5xx
 * or a dropped connection; the bridge reports no error; and a valid request sent afterwards
 * still lands. (test/bridge/http-server.test.ts checks each kind of refusal's message.)
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge } from '../../src/bridge/bridge.js';
import { type BridgeServer, startBridgeServer } from '../../src/bridge/http-server.js';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { RecordingBackends } from '../bridge/recording-backend.js';
import { startCapture } from '../support/otlp-capture.js';

const TOKEN = 'property-token-0123456789';
const LIMIT = 64 * 1024;
const SIGNALS = ['logs', 'metrics', 'traces'] as const;
type Signal = (typeof SIGNALS)[number];

let backends: RecordingBackends;
let diagnostics: CollectingDiagnostics;
let bridge: Bridge;
let server: BridgeServer;
/** Real request bodies by signal and encoding, as the OTel JS exporters sent them. */
const seeds: { signal: Signal; type: string; body: Buffer }[] = [];

beforeAll(async () => {
  backends = new RecordingBackends();
  diagnostics = new CollectingDiagnostics();
  bridge = new Bridge({
    createBackends: backends.create,
    settings: LoggingConfig.fromDict({ backends: [] }).global,
    diagnostics,
  });
  server = await startBridgeServer(bridge, {
    port: 0,
    token: TOKEN,
    maxBodyBytes: LIMIT,
    diagnostics,
  });
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    const capture = await startCapture();
    const logger = createLogger([['otlp', { endpoint: capture.url, protocol }]], {
      env: { JEPA_RUN_ID: 'seedbody' },
      settings: { handle_signals: false },
      diagnostics: new CollectingDiagnostics(),
    });
    for (let step = 0; step < 5; step++)
      logger.logMetrics({ loss: 1 / (step + 1), acc: step }, step);
    logger.logText('notes', 'some text', 4);
    logger.run.tracer.startSpan('step').end();
    await logger.finish();
    await capture.close();
    for (const request of capture.requests) {
      const signal = request.path.replace('/v1/', '') as Signal;
      seeds.push({ signal, type: String(request.headers['content-type']), body: request.body });
    }
  }
}, 60_000);
afterAll(async () => {
  await server.close();
  await bridge.shutdown();
});

const seedArb = fc.nat().map((i) => seeds[i % seeds.length]!);
/** A real body with some bytes changed, some cut off, or some put in. */
const mutated = fc
  .tuple(
    seedArb,
    fc.array(fc.tuple(fc.constantFrom('flip', 'cut', 'insert'), fc.nat(), fc.nat(255)), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([seed, edits]) => {
    let body = Buffer.from(seed.body);
    for (const [edit, at, byte] of edits) {
      const i = body.length === 0 ? 0 : at % body.length;
      if (edit === 'flip') body[i] = byte;
      else if (edit === 'cut') body = body.subarray(0, i);
      else body = Buffer.concat([body.subarray(0, i), Buffer.of(byte), body.subarray(i)]);
    }
    return { type: seed.type, body, signal: seed.signal };
  });
const arbitraryBytes = fc.uint8Array({ maxLength: 2048 }).map((bytes) => ({
  type: 'application/x-protobuf',
  body: Buffer.from(bytes),
}));
const arbitraryJson = fc
  .tuple(
    fc.constantFrom('resourceLogs', 'resourceMetrics', 'resourceSpans', 'other'),
    fc.jsonValue(),
  )
  .map(([key, value]) => ({
    type: 'application/json',
    body: Buffer.from(JSON.stringify(Math.random() < 0.8 ? { [key]: [value] } : value)),
  }));
/** Past the limit: raw, or small but decompressing past it. */
const huge = fc.constantFrom(
  { type: 'application/x-protobuf', body: Buffer.alloc(LIMIT + 1, 1) },
  { type: 'application/json', body: gzipSync(Buffer.alloc(LIMIT * 4, 0x20)), encoding: 'gzip' },
);
const body = fc
  .tuple(
    fc.oneof(
      { weight: 5, arbitrary: mutated },
      { weight: 2, arbitrary: seedArb },
      { weight: 2, arbitrary: arbitraryBytes },
      { weight: 2, arbitrary: arbitraryJson },
      { weight: 1, arbitrary: huge },
    ),
    fc.constantFrom('identity', 'identity', 'identity', 'gzip', 'gzip-but-not', 'br'),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          '',
          'application/xml',
          'application/json; charset=utf-8',
          'APPLICATION/X-PROTOBUF',
        ),
      },
    ),
  )
  .map(([request, encoding, type]) => {
    const given = request as { type: string; body: Buffer; encoding?: string; signal?: Signal };
    if (given.encoding) return { ...given, encoding: given.encoding };
    const bytes = encoding === 'gzip' ? gzipSync(given.body) : given.body;
    const header = encoding === 'gzip-but-not' ? 'gzip' : encoding;
    return { type: type ?? given.type, body: bytes, encoding: header, signal: given.signal };
  });
const pathArb = fc.constantFrom(...SIGNALS);

describe('arbitrary OTLP bodies', () => {
  it('get 200, 400, 413 or 415, never a crash, and the bridge keeps serving', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(pathArb, body, async (signal, request) => {
        const response = await fetch(`${server.url}/v1/${request.signal ?? signal}`, {
          method: 'POST',
          body: request.body,
          headers: {
            Authorization: `Bearer ${TOKEN}`,
            'Content-Type': request.type,
            'Content-Encoding': request.encoding,
          },
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect([200, 400, 413, 415]).toContain(response.status);
      }),
      { numRuns: 3000 },
    );
    // Every kind of answer came up.
    for (const status of [200, 400, 413, 415])
      expect(statuses.get(status), `${status}`).toBeGreaterThan(0);
    expect(diagnostics.at('ERROR')).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    // A valid request afterwards still lands, whole.
    const response = await fetch(`${server.url}/v1/logs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'jepa.run.id', value: { stringValue: 'afterall' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    eventName: 'jepa.metrics',
                    attributes: [
                      { key: 'jepa.step', value: { intValue: '3' } },
                      { key: 'loss', value: { doubleValue: 0.25 } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    await bridge.flush();
    const run = backends.runs.find((r) => r.identity.id === 'afterall');
    expect(run?.records.map((r) => r.attributes)).toEqual([{ 'jepa.step': 3, loss: 0.25 }]);
  }, 120_000);
});
