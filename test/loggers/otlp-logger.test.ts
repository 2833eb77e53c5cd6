/**
 * The OTLP backend against a receiver that decodes the real OTLP/HTTP requests the standard OTel
 * exporters send (protobuf and JSON): gauges, the step gauge, spans, log records and the resource
 * arrive, and the OTEL_* variables change what they should.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logsOf, metricsOf, spansOf } from '../../src/bridge/otlp-model.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { OtlpLogger } from '../../src/loggers/otlp-logger.js';
import { type Capture, decodedRequests, startCapture } from '../support/otlp-capture.js';

let capture: Capture;
const savedEnv = { ...process.env };

beforeEach(async () => {
  capture = await startCapture();
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
});
afterEach(async () => {
  process.env = { ...savedEnv };
  await capture.close();
});

/** Logs ten rows and one span through `logger`, then finishes it. */
async function run(logger: OtlpLogger) {
  for (let step = 0; step < 10; step++) {
    logger.logMetrics({ 'train/loss': 1 / (step + 1), 'train/lr': 0.1 - step * 0.01 }, step);
  }
  logger.run.tracer.startActiveSpan('trainingStep', (span) => {
    span.setAttribute('batch', 3);
    span.end();
  });
  await logger.finish();
}

/** The last value of every gauge across the decoded metric requests, and their resources. */
function gauges(requests: Record<string, unknown>[]) {
  const values = new Map<string, number>();
  const resources = requests.flatMap(metricsOf).map((r) => r.resource);
  for (const group of requests.flatMap(metricsOf)) {
    for (const { items } of group.scopes) {
      for (const metric of items) {
        if (metric.kind === 'number' && metric.points.length > 0) {
          values.set(metric.name, metric.points.at(-1)!.value);
        }
      }
    }
  }
  return { values, resources };
}

describe.each(['http/protobuf', 'http/json'] as const)('OTLP over %s', (protocol) => {
  it('delivers gauges, the step gauge, the row events, spans and the run resource', async () => {
    const logger = new OtlpLogger(
      { endpoint: capture.url, protocol },
      {
        settings: {
          project: 'otlp-test',
          run_name: 'r1',
          run_id: 'abcd1234',
          handle_signals: false,
        },
      },
    );
    await run(logger);
    const type = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
    for (const request of capture.requests) expect(request.headers['content-type']).toBe(type);

    const { values, resources } = gauges(decodedRequests(capture.requests, 'metrics'));
    expect(values.get('train/loss')).toBe(1 / 10);
    expect(values.get('train/lr')).toBeCloseTo(0.01, 12);
    expect(values.get('jepa.step')).toBe(9);
    expect(resources[0]).toMatchObject({
      'service.name': 'otlp-test',
      'service.instance.id': 'abcd1234-0',
      'jepa.run.id': 'abcd1234',
      'jepa.run.name': 'r1',
      'jepa.project': 'otlp-test',
      'jepa.rank': 0,
      'jepa.world_size': 1,
    });

    const records = decodedRequests(capture.requests, 'logs')
      .flatMap(logsOf)
      .flatMap((g) => g.scopes.flatMap((s) => s.items));
    const rows = records.filter((r) => r.eventName === 'jepa.metrics');
    expect(rows.map((r) => r.attributes['jepa.step'])).toEqual([...Array(10).keys()]);
    expect(rows[3]!.attributes).toMatchObject({ 'train/loss': 1 / 4 });
    expect(records.at(-1)).toMatchObject({
      eventName: 'jepa.run.end',
      attributes: { 'jepa.run.exit_code': 0 },
    });

    const spans = decodedRequests(capture.requests, 'traces')
      .flatMap(spansOf)
      .flatMap((g) => g.scopes.flatMap((s) => s.items));
    expect(spans).toEqual([
      expect.objectContaining({ name: 'trainingStep', attributes: { batch: 3 } }),
    ]);
  });
});

describe('OTEL_* variables', () => {
  it('OTEL_EXPORTER_OTLP_ENDPOINT makes createLogger add the otlp backend; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES shape the resource', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = capture.url;
    process.env.OTEL_SERVICE_NAME = 'from-env';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=ci,team=vision';
    const logger = createLogger(
      { backends: [], project: 'ignored-for-service-name' },
      { settings: { handle_signals: false } },
    );
    logger.logMetrics({ loss: 1 }, 0);
    await logger.finish();
    const { values, resources } = gauges(decodedRequests(capture.requests, 'metrics'));
    expect(values.get('loss')).toBe(1);
    expect(resources[0]).toMatchObject({
      'service.name': 'from-env',
      'deployment.environment': 'ci',
      team: 'vision',
      'jepa.project': 'ignored-for-service-name',
    });
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, a per-signal endpoint and OTEL_METRIC_EXPORT_INTERVAL apply', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = capture.url;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-team=vision';
    process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = `${capture.url}/custom/metrics`;
    process.env.OTEL_METRIC_EXPORT_INTERVAL = '50';
    const logger = new OtlpLogger({}, { settings: { handle_signals: false } });
    logger.logMetrics({ loss: 1 }, 0);
    // Several export intervals pass before the end: periodic exports, not only the final one.
    await new Promise((resolve) => setTimeout(resolve, 400));
    logger.logMetrics({ loss: 2 }, 1);
    await logger.finish();
    const metricRequests = capture.requests.filter((r) => r.path === '/custom/metrics');
    expect(metricRequests.length).toBeGreaterThanOrEqual(3);
    expect(capture.requests.filter((r) => r.path === '/v1/metrics')).toEqual([]);
    for (const request of capture.requests) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-team']).toBe('vision');
    }
    const { values } = gauges(decodedRequests(capture.requests, 'metrics', '/custom/metrics'));
    expect(values.get('loss')).toBe(2);
  });

  it('an unsupported protocol is a clear error naming it', () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
    expect(
      () => new OtlpLogger({ endpoint: capture.url }, { settings: { handle_signals: false } }),
    ).toThrow(/otlp: protocol 'grpc' is not supported; use http\/protobuf or http\/json/);
  });
});

describe('finish() with the receiver away', () => {
  /** A TCP server that accepts connections and never answers. */
  async function silentServer() {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => {
        for (const socket of sockets) socket.destroy();
        server.close();
      },
    };
  }

  it.each(['a closed port', 'a server that never answers'])(
    'to %s: returns within flush_timeout + 1 s and counts every row lost',
    async (receiver) => {
      const silent = receiver === 'a closed port' ? undefined : await silentServer();
      const diagnostics = new CollectingDiagnostics();
      try {
        const logger = createLogger(
          {
            backends: ['otlp'],
            otlp: { endpoint: silent?.url ?? 'http://127.0.0.1:9' },
            flush_timeout: 2,
            handle_signals: false,
          },
          { diagnostics, env: {} },
        );
        for (let step = 0; step < 100; step++) logger.logMetrics({ loss: step }, step);
        const started = performance.now();
        await logger.finish();
        expect(performance.now() - started).toBeLessThan(3000);
        const total = diagnostics.at('WARNING').find((w) => w.startsWith('otlp: over the run'));
        // 100 rows and the run's end, each counted once, none delivered.
        expect(total).toMatch(
          /^otlp: over the run, lost 101 log records \(101 in failed exports\)/,
        );
        expect(total).toMatch(/delivered 0 log records, 0 spans, 0 metric points/);
      } finally {
        silent?.close();
      }
    },
  );
});
