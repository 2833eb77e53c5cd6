/**
 * The bridge's OTLP decoding against the exact bodies the real OTel JS exporters send (protobuf
 * and JSON, gzip or not), for logs, metrics and traces; and against malformed bodies.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogs } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogs } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetrics } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetrics } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraces } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraces } from '@opentelemetry/exporter-trace-otlp-proto';
import type { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeExportRequest,
  OtlpDecodeError,
  type OtlpFormat,
  type OtlpSignal,
} from '../../src/bridge/otlp-codec.js';
import { logsOf, metricsOf, type OtlpMetric, spansOf } from '../../src/bridge/otlp-model.js';
import { type Capture, type CapturedRequest, startCapture } from '../support/otlp-capture.js';

const RESOURCE = { 'service.name': 'proj', 'jepa.run.id': 'abcd1234', 'jepa.rank': 2 };
const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 255]);
const METRICS_TIME: [number, number] = [1_700_000_000, 123_456_789];

interface Sent {
  logs: CapturedRequest;
  metrics: CapturedRequest;
  traces: CapturedRequest;
  traceId: string;
  rootSpanId: string;
  childSpanId: string;
}

/** Sends one batch of each signal with the real exporters of `format` and returns the bodies. */
async function send(capture: Capture, format: OtlpFormat, gzip: boolean): Promise<Sent> {
  const before = capture.requests.length;
  const options = (signal: OtlpSignal) => ({
    url: `${capture.url}/v1/${signal}`,
    compression: (gzip ? 'gzip' : 'none') as CompressionAlgorithm,
  });
  const resource = resourceFromAttributes(RESOURCE);

  const logExporter =
    format === 'json' ? new JsonLogs(options('logs')) : new ProtoLogs(options('logs'));
  const loggers = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: logExporter })],
  });
  const logger = loggers.getLogger('train.py', '1.2.3');
  logger.emit({
    eventName: 'jepa.metrics',
    timestamp: METRICS_TIME,
    attributes: { 'jepa.step': 7, 'train/loss': 0.125, tokens: 4096 },
  });
  logger.emit({
    eventName: 'jepa.image',
    body: PNG,
    attributes: { 'jepa.step': 7, 'jepa.tag': 'x' },
  });
  logger.emit({
    eventName: 'jepa.hparams',
    body: { hparams: { lr: 0.1, name: 'vit', layers: [1, 2] }, metrics: { acc: 0.5 } },
  });
  logger.emit({ attributes: { 'event.name': 'jepa.text', 'jepa.step': 1 }, body: 'hello' });
  await loggers.shutdown();

  const metricExporter =
    format === 'json' ? new JsonMetrics(options('metrics')) : new ProtoMetrics(options('metrics'));
  const meters = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const meter = meters.getMeter('train.py');
  meter.createGauge('jepa.step').record(42);
  meter.createGauge('gpu/util').record(0.75, { device: 0 });
  meter.createCounter('samples').add(128);
  const histogram = meter.createHistogram('batch.time', {
    advice: { explicitBucketBoundaries: [0.15, 0.3] },
  });
  for (const value of [0.1, 0.2, 0.4]) histogram.record(value);
  await meters.shutdown();

  const traceExporter =
    format === 'json' ? new JsonTraces(options('traces')) : new ProtoTraces(options('traces'));
  const tracers = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: traceExporter })],
  });
  const tracer = tracers.getTracer('train.py');
  const root = tracer.startSpan('train');
  const child = tracer.startSpan('step', {}, trace.setSpan(context.active(), root));
  child.recordException(new TypeError('boom'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  root.end();
  await tracers.shutdown();

  const sent = capture.requests.slice(before);
  const only = (path: string) => {
    const matching = sent.filter((r) => r.path === path);
    expect(matching).toHaveLength(1);
    return matching[0]!;
  };
  return {
    logs: only('/v1/logs'),
    metrics: only('/v1/metrics'),
    traces: only('/v1/traces'),
    traceId: root.spanContext().traceId,
    rootSpanId: root.spanContext().spanId,
    childSpanId: child.spanContext().spanId,
  };
}

let capture: Capture;
beforeAll(async () => {
  capture = await startCapture();
});
afterAll(() => capture.close());

describe.each([
  ['protobuf', false],
  ['json', false],
  ['protobuf', true],
  ['json', true],
] as const)('bodies of the OTel JS %s exporters (gzip: %s)', (format, gzip) => {
  let sent: Sent;
  beforeAll(async () => {
    sent = await send(capture, format, gzip);
    expect(sent.logs.headers['content-type']).toContain(
      format === 'json' ? 'application/json' : 'application/x-protobuf',
    );
    if (gzip) expect(sent.logs.headers['content-encoding']).toBe('gzip');
  });

  it('decodes log records: event names, attributes, bodies, timestamps, resource', () => {
    const [resourceLogs] = logsOf(decodeExportRequest('logs', sent.logs.body, format));
    expect(resourceLogs!.resource).toMatchObject(RESOURCE);
    expect(resourceLogs!.scopes).toHaveLength(1);
    const { scope, items } = resourceLogs!.scopes[0]!;
    expect(scope).toEqual({ name: 'train.py', version: '1.2.3' });
    expect(items).toHaveLength(4);
    const [metrics, image, hparams, text] = items;
    expect(metrics!.eventName).toBe('jepa.metrics');
    expect(metrics!.attributes).toEqual({ 'jepa.step': 7, 'train/loss': 0.125, tokens: 4096 });
    expect(metrics!.timeUnixNano).toBe(1_700_000_000_123_456_789n);
    expect(image!.eventName).toBe('jepa.image');
    expect(new Uint8Array(image!.body as Uint8Array)).toEqual(PNG);
    expect(hparams!.body).toEqual({
      hparams: { lr: 0.1, name: 'vit', layers: [1, 2] },
      metrics: { acc: 0.5 },
    });
    expect(text!.eventName).toBeUndefined();
    expect(text!.attributes['event.name']).toBe('jepa.text');
    expect(text!.body).toBe('hello');
    // A record emitted without a time gets the time of emission.
    expect(text!.timeUnixNano).toBeGreaterThan(1_700_000_000_123_456_789n);
  });

  it('decodes metrics: gauges, counters and explicit-bucket histograms', () => {
    const [resourceMetrics] = metricsOf(decodeExportRequest('metrics', sent.metrics.body, format));
    expect(resourceMetrics!.resource).toMatchObject(RESOURCE);
    const metrics = new Map<string, OtlpMetric>(
      resourceMetrics!.scopes.flatMap((s) => s.items).map((m) => [m.name, m]),
    );
    const number = (name: string) => {
      const metric = metrics.get(name);
      if (metric?.kind !== 'number') throw new Error(`${name} is not a number metric`);
      return metric.points;
    };
    expect(number('jepa.step').map((p) => p.value)).toEqual([42]);
    expect(number('gpu/util').map((p) => [p.value, p.attributes])).toEqual([[0.75, { device: 0 }]]);
    expect(number('samples').map((p) => p.value)).toEqual([128]);
    const histogram = metrics.get('batch.time');
    expect(histogram?.kind).toBe('histogram');
    if (histogram?.kind !== 'histogram') return;
    expect(histogram.points).toHaveLength(1);
    expect(histogram.points[0]).toMatchObject({
      count: 3,
      min: 0.1,
      max: 0.4,
      bucketCounts: [1, 1, 1],
      explicitBounds: [0.15, 0.3],
    });
    expect(histogram.points[0]!.sum).toBeCloseTo(0.7, 12);
    // One collection: every point carries the same time.
    const times = new Set(
      [...metrics.values()].flatMap((m) =>
        m.kind === 'unsupported' ? [] : m.points.map((p) => p.timeUnixNano),
      ),
    );
    expect(times.size).toBe(1);
  });

  it('decodes spans: hex ids, parents, status and recorded exceptions', () => {
    const [resourceSpans] = spansOf(decodeExportRequest('traces', sent.traces.body, format));
    const spans = resourceSpans!.scopes.flatMap((s) => s.items);
    const root = spans.find((s) => s.name === 'train');
    const child = spans.find((s) => s.name === 'step');
    expect(root?.traceId).toBe(sent.traceId);
    expect(root?.spanId).toBe(sent.rootSpanId);
    expect(root?.parentSpanId).toBeUndefined();
    expect(child?.traceId).toBe(sent.traceId);
    expect(child?.spanId).toBe(sent.childSpanId);
    expect(child?.parentSpanId).toBe(sent.rootSpanId);
    expect(child?.statusCode).toBe(2);
    expect(child?.statusMessage).toBe('boom');
    expect(child?.events.map((e) => [e.name, e.attributes['exception.type']])).toEqual([
      ['exception', 'TypeError'],
    ]);
    expect(child!.endTimeUnixNano).toBeGreaterThanOrEqual(child!.startTimeUnixNano);
  });
});

describe('malformed bodies', () => {
  const bad = (signal: OtlpSignal, body: string | Uint8Array, format: OtlpFormat) => () =>
    decodeExportRequest(signal, typeof body === 'string' ? Buffer.from(body) : body, format);

  it('name the problem for protobuf', () => {
    // A length-delimited field 1 claiming 255 bytes, with 1 present.
    expect(bad('logs', new Uint8Array([0x0a, 0xff, 0x01, 0x00]), 'protobuf')).toThrow(
      /malformed protobuf ExportLogsServiceRequest: index out of range/,
    );
    // Wire type 7 does not exist.
    expect(bad('metrics', new Uint8Array([0x0f, 0x01]), 'protobuf')).toThrow(OtlpDecodeError);
  });

  it('name the problem for JSON', () => {
    expect(bad('logs', '{"resourceLogs": [', 'json')).toThrow(
      /malformed JSON ExportLogsServiceRequest/,
    );
    expect(bad('logs', '[]', 'json')).toThrow(/expected an object at the top level/);
    expect(bad('logs', '{"resourceLogs": "all of them"}', 'json')).toThrow(
      /resourceLogs: array expected/,
    );
    expect(
      bad('traces', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}', 'json'),
    ).toThrow(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: 'xyz' is not a hex id/);
    expect(bad('metrics', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), 'json')).toThrow(
      OtlpDecodeError,
    );
  });

  it('accept OTLP JSON quirks: int64 as strings or numbers, enums as numbers, unknown keys', () => {
    const request = decodeExportRequest(
      'metrics',
      Buffer.from(
        JSON.stringify({
          resourceMetrics: [
            {
              resource: { attributes: [{ key: 'jepa.rank', value: { intValue: '3' } }] },
              futureField: { anything: true },
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'samples',
                      sum: {
                        aggregationTemporality: 2,
                        isMonotonic: true,
                        dataPoints: [{ asInt: '9007199254740993', timeUnixNano: 1_000_000_000 }],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
      'json',
    );
    const [resourceMetrics] = metricsOf(request);
    expect(resourceMetrics!.resource).toEqual({ 'jepa.rank': 3 });
    const metric = resourceMetrics!.scopes[0]!.items[0]!;
    expect(metric.kind === 'number' && metric.points[0]).toMatchObject({
      value: 9007199254740992,
      timeUnixNano: 1_000_000_000n,
    });
  });
});
