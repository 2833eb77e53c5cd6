/**
 * The application's OTel providers and the globals, in process: found on the global API or
 * passed in, never claimed unless `register_global` asks. (Real `NodeSDK` apps on both OTel JS
 * lines: test/package/otel-citizen.test.ts.)
 */
import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { logExceptions } from '../../src/loggers/decorators.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { recordingBackend } from '../support/recording-backend.js';

afterEach(() => {
  trace.disable();
  metrics.disable();
  logs.disable();
});

/** A provider set of the application's own, with in-memory exporters. */
function appOTel() {
  const spans = new InMemorySpanExporter();
  const records = new InMemoryLogRecordExporter();
  const exported = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: exported,
    exportIntervalMillis: 3_600_000,
  });
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter: records })],
  });
  return {
    providers: { tracerProvider, meterProvider, loggerProvider },
    spans: () => spans.getFinishedSpans(),
    rows: () =>
      records
        .getFinishedLogRecords()
        .filter((record) => record.eventName === 'jepa.metrics')
        .map((record) => record.attributes),
    async gauges(): Promise<Record<string, unknown>> {
      await reader.forceFlush();
      const points: Record<string, unknown> = {};
      for (const metric of exported
        .getMetrics()
        .flatMap((r) => r.scopeMetrics)
        .flatMap((s) => s.metrics)) {
        points[metric.descriptor.name] = metric.dataPoints.at(-1)?.value;
      }
      return points;
    },
  };
}

function quietLogger(settings: Record<string, unknown> = {}, options = {}) {
  const diagnostics = new CollectingDiagnostics();
  const logger = createLogger(
    { backends: ['console'], console: { level: 'ERROR' }, ...settings },
    { diagnostics, ...options },
  );
  return { logger, diagnostics };
}

describe('by default', () => {
  it('claims no global: the app registers its providers after the logger, and they work', async () => {
    const { logger } = quietLogger();
    const app = appOTel();
    expect(trace.setGlobalTracerProvider(app.providers.tracerProvider)).toBe(true);
    expect(metrics.setGlobalMeterProvider(app.providers.meterProvider)).toBe(true);
    expect(logs.setGlobalLoggerProvider(app.providers.loggerProvider)).toBe(
      app.providers.loggerProvider,
    );
    // Found on the next row: a library's span and the logger's rows reach the app's pipeline.
    trace.getTracer('some-library').startSpan('library.call').end();
    logger.logMetrics({ 'train/loss': 0.5 }, 3);
    await logger.finish();
    expect(app.spans().map((span) => span.name)).toEqual(['library.call']);
    expect(app.rows()).toEqual([{ 'train/loss': 0.5, 'jepa.step': 3 }]);
    expect(await app.gauges()).toMatchObject({ 'train/loss': 0.5, 'jepa.step': 3 });
    // And after finish() the app's tracing still works.
    trace.getTracer('some-library').startSpan('after.finish').end();
    expect(app.spans().map((span) => span.name)).toContain('after.finish');
  });
});

describe('explicit providers', () => {
  it('get the decorated spans, every key as an instrument, and the row events', async () => {
    const app = appOTel();
    const recording = recordingBackend();
    const { logger } = quietLogger({}, { ...app.providers, backends: [recording.backend] });
    const trainingStep = logExceptions(logger)(function step(i: number) {
      if (i === 1) throw new Error('bad batch');
      return i;
    });
    for (let i = 0; i < 3; i++) {
      try {
        trainingStep(i);
      } catch {
        // Reported by logExceptions.
      }
      logger.logMetrics({ train: { loss: 1 / (i + 1) } }, i);
    }
    // The app's logger gets them on the next turn of the event loop, or at a flush.
    await logger.flush();
    expect(app.spans().map((span) => [span.name, span.events.map((e) => e.name)])).toEqual([
      ['step', []],
      ['step', ['exception']],
      ['step', []],
    ]);
    expect(app.rows().map((row) => row['jepa.step'])).toEqual([0, 1, 2]);
    expect(await app.gauges()).toMatchObject({ 'train/loss': 1 / 3, 'jepa.step': 2 });
    // The logger's own backends still get every row once; spans are the app's alone.
    const rows = recording.logs().filter((record) => record.eventName === 'jepa.metrics');
    expect(rows.map((record) => record.attributes['jepa.step'])).toEqual([0, 1, 2]);
    expect(recording.spans()).toEqual([]);
    await logger.finish();
  });

  it('refuses a non-provider with an error naming the option', () => {
    const notAProvider = { startSpan() {} } as never;
    expect(() => quietLogger({}, { tracerProvider: notAProvider })).toThrow(
      /option 'tracerProvider' is not an OTel TracerProvider \(it has no getTracer\(\) method\)/,
    );
    expect(() => quietLogger({}, { meterProvider: 42 as never })).toThrow(/'meterProvider'/);
  });
});

describe('register_global: true', () => {
  it("makes the run's providers global, as before: a library's span reaches its backends", async () => {
    const recording = recordingBackend();
    const { logger, diagnostics } = quietLogger(
      { register_global: true },
      { backends: [recording.backend] },
    );
    trace.getTracer('some-library').startSpan('library.call').end();
    expect(recording.spans().map((span) => span.name)).toEqual(['library.call']);
    logger.logMetrics({ loss: 1 }, 0);
    expect(diagnostics.at('WARNING')).toEqual([]);
    await logger.finish();
    // The globals are free again for the next run or an SDK.
    expect(trace.setGlobalTracerProvider(new TracerProvider())).toBe(true);
  });

  it('a second registration is refused with a warning, and neither run feeds the other', async () => {
    const first = recordingBackend();
    const second = recordingBackend();
    const a = quietLogger({ register_global: true }, { backends: [first.backend] });
    const b = quietLogger({ register_global: true }, { backends: [second.backend] });
    expect(b.diagnostics.at('WARNING')).toEqual([
      expect.stringMatching(
        /register_global: the global OTel metrics, trace, logs providers are already set .* this run did not register its own/,
      ),
    ]);
    a.logger.logMetrics({ a: 1 }, 0);
    b.logger.logMetrics({ b: 2 }, 0);
    const keys = (recording: typeof first) =>
      recording
        .logs()
        .filter((record) => record.eventName === 'jepa.metrics')
        .map((record) => Object.keys(record.attributes).filter((key) => key !== 'jepa.step'));
    expect(keys(first)).toEqual([['a']]);
    expect(keys(second)).toEqual([['b']]);
    await b.logger.finish();
    await a.logger.finish();
  });
});
