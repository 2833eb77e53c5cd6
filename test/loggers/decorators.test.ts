import { setTimeout as sleep } from 'node:timers/promises';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { DataPointType, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { decodeTrainingEvent } from '../../src/events/events.js';
import { BaseLogger, type Metrics } from '../../src/loggers/base-logger.js';
import { ConsoleLogger } from '../../src/loggers/console-logger.js';
import { logExceptions, logExecutionTime, logFunctionCalls } from '../../src/loggers/decorators.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { CALL_DURATION_BUCKETS } from '../../src/telemetry/spans.js';
import { CaptureStream } from '../support/capture-stream.js';
import { type MemorySink, memoryBackend } from '../support/memory-sink.js';
import { type Recording, recordingBackend } from '../support/recording-backend.js';

const open: BaseLogger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

/** A run whose rows reach a memory sink and whose spans, logs and instruments are recorded. */
function recordedLogger(options: { instruments?: boolean } = {}) {
  const { sink, backend } = memoryBackend();
  const recording = recordingBackend(options);
  const diagnostics = new CollectingDiagnostics();
  const logger = new TelemetryLogger({}, () => [backend, recording.backend], {
    diagnostics,
    settings: { handle_signals: false },
  });
  open.push(logger);
  return { logger, sink, recording, diagnostics };
}

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

function metric(metrics: readonly MetricData[], name: string): MetricData | undefined {
  return metrics.filter((m) => m.descriptor.name === name).at(-1);
}

/** The `jepa.exception` events, as the OTel log records every log backend (OTLP) gets. */
function exceptionEvents(recording: Recording) {
  return recording
    .logs()
    .map((record) => decodeTrainingEvent(record))
    .filter((event) => event?.kind === 'exception');
}

function timeRows(sink: MemorySink, key: string) {
  return sink.rows.filter((row) => key in row.values);
}

describe('seed: Logging Decorators', () => {
  // @log_execution_time(logger) @log_exceptions(logger) def training_step(batch), as methods.
  it('times a decorated training step and logs its exceptions (method decorators)', async () => {
    const { logger, sink, recording } = recordedLogger();
    const processBatch = (batch: number[]) => {
      if (batch.length === 0) throw new RangeError('empty batch');
      return batch.reduce((a, b) => a + b, 0);
    };
    class Model {
      @logExecutionTime(logger)
      @logExceptions(logger)
      trainingStep(batch: number[]) {
        // Function execution time and exceptions are automatically logged
        return processBatch(batch);
      }
    }
    const model = new Model();
    logger.logMetrics({ loss: 1 }, 5);
    expect(model.trainingStep([1, 2, 3])).toBe(6);
    expect(() => model.trainingStep([])).toThrow(RangeError);
    await logger.flush();
    const times = timeRows(sink, 'time/trainingStep');
    expect(times.map((row) => row.step)).toEqual([5, 5]);
    for (const row of times) expect(row.values['time/trainingStep']).toBeGreaterThan(0);
    const exceptions = exceptionEvents(recording);
    expect(exceptions).toMatchObject([
      { step: 5, type: 'RangeError', message: 'empty batch', functionName: 'trainingStep' },
    ]);
    // Stacked decorators share one span per call.
    expect(recording.spans().map((span) => span.name)).toEqual(['trainingStep', 'trainingStep']);
  });

  it('does the same as plain function wrappers', async () => {
    const { logger, sink, recording } = recordedLogger();
    function trainingStep(batch: number[]) {
      return batch.length;
    }
    const step = logExecutionTime(logger)(logExceptions(logger)(trainingStep));
    expect(step([1, 2])).toBe(2);
    expect(step.name).toBe('trainingStep');
    expect(step.length).toBe(1);
    await logger.flush();
    expect(timeRows(sink, 'time/trainingStep')).toHaveLength(1);
    expect(recording.spans().map((span) => span.name)).toEqual(['trainingStep']);
  });
});

describe('spans of a decorated training step', () => {
  function decoratedModel(logger: BaseLogger) {
    class Model {
      @logExecutionTime(logger)
      @logExceptions(logger)
      async trainingStep(batch: { fail: boolean }) {
        const activations = this.forward(batch);
        await sleep(5);
        return this.backward(activations, batch);
      }

      @logExecutionTime(logger)
      forward(_batch: { fail: boolean }) {
        return [1, 2, 3];
      }

      @logExecutionTime(logger)
      @logExceptions(logger)
      async backward(activations: number[], batch: { fail: boolean }) {
        await sleep(20);
        if (batch.fail) throw new RangeError('loss is NaN');
        return activations.length;
      }
    }
    return new Model();
  }

  it('nests forward and backward under the step, across await, with their durations', async () => {
    const { logger, recording } = recordedLogger();
    const model = decoratedModel(logger);
    expect(await model.trainingStep({ fail: false })).toBe(3);
    const spans = recording.spans();
    const [step] = byName(spans, 'trainingStep');
    const [forward] = byName(spans, 'forward');
    const [backward] = byName(spans, 'backward');
    expect(step?.parentSpanContext).toBeUndefined();
    for (const child of [forward, backward]) {
      expect(child?.parentSpanContext?.spanId).toBe(step?.spanContext().spanId);
      expect(child?.spanContext().traceId).toBe(step?.spanContext().traceId);
    }
    expect(hrTimeToMilliseconds(backward!.duration)).toBeGreaterThanOrEqual(19);
    expect(hrTimeToMilliseconds(step!.duration)).toBeGreaterThanOrEqual(
      hrTimeToMilliseconds(backward!.duration) + 4,
    );
    expect(step?.attributes['code.function.name']).toBe('trainingStep');
    for (const span of [step, forward, backward])
      expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records the exception on the span that threw and on every span it escaped', async () => {
    const { logger, recording } = recordedLogger();
    const model = decoratedModel(logger);
    const failure = model.trainingStep({ fail: true });
    await expect(failure).rejects.toThrow('loss is NaN');
    const spans = recording.spans();
    for (const name of ['backward', 'trainingStep']) {
      const [span] = byName(spans, name);
      expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'loss is NaN' });
      const event = span?.events.find((e) => e.name === 'exception');
      expect(event?.attributes).toMatchObject({
        'exception.type': 'RangeError',
        'exception.message': 'loss is NaN',
      });
    }
    expect(byName(spans, 'forward')[0]?.events).toEqual([]);
  });

  it('puts durations on one histogram and exceptions on one counter, by function, never by step', async () => {
    const { logger, recording } = recordedLogger();
    const model = decoratedModel(logger);
    logger.logMetrics({ loss: 1 }, 10);
    await model.trainingStep({ fail: false });
    logger.logMetrics({ loss: 1 }, 11);
    await expect(model.trainingStep({ fail: true })).rejects.toThrow();
    const metrics = await recording.metrics();
    const duration = metric(metrics, 'jepa.call.duration');
    expect(duration?.descriptor).toMatchObject({ unit: 's' });
    expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const points = duration!.dataPoints.map((p) => ({
      attributes: p.attributes,
      value: p.value as Histogram,
    }));
    const of = (attributes: Record<string, string>) =>
      points.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes))?.value;
    expect(of({ 'code.function.name': 'forward' })?.count).toBe(2);
    expect(of({ 'code.function.name': 'backward' })?.count).toBe(1);
    expect(of({ 'code.function.name': 'backward', 'error.type': 'RangeError' })?.count).toBe(1);
    expect(of({ 'code.function.name': 'backward' })?.min).toBeGreaterThanOrEqual(0.019);
    expect(of({ 'code.function.name': 'forward' })?.buckets.boundaries).toEqual(
      CALL_DURATION_BUCKETS,
    );
    const exceptions = metric(metrics, 'jepa.call.exceptions');
    expect(exceptions?.descriptor.unit).toBe('{exception}');
    // Counted once, where it escaped first, though it passed through two decorated calls.
    expect(exceptions?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'code.function.name': 'backward', 'exception.type': 'RangeError' }, 1],
    ]);
    for (const m of [duration, exceptions]) {
      for (const point of m!.dataPoints)
        expect(Object.keys(point.attributes)).not.toContain('jepa.step');
    }
  });

  it('records no instruments when no backend exports them', async () => {
    const { logger, recording } = recordedLogger({ instruments: false });
    expect(logger.run.pipeline.exportsRunInstruments).toBe(false);
    await decoratedModel(logger).trainingStep({ fail: false });
    expect(recording.spans()).toHaveLength(3);
    const names = (await recording.metrics()).map((m) => m.descriptor.name);
    expect(names).not.toContain('jepa.call.duration');
  });
});

describe('exceptions', () => {
  it('are rethrown unchanged, shown once on the console at ERROR, sync and async', async () => {
    const stream = new CaptureStream();
    const logger = new ConsoleLogger(
      { stream, format: '%(levelname)s %(message)s', level: 'ERROR' },
      { settings: { handle_signals: false } },
    );
    open.push(logger);
    const error = new TypeError('bad shape');
    const throwing = logExceptions(logger)(function sync() {
      throw error;
    });
    const outer = logExceptions(logger)(async function outerCall() {
      await logExceptions(logger)(async function inner() {
        throw error;
      })();
    });
    let caught: unknown;
    try {
      throwing();
    } catch (thrown) {
      caught = thrown;
    }
    expect(caught).toBe(error);
    await expect(outer()).rejects.toBe(error);
    await logger.flush();
    const shown = stream.lines.filter((line) => line.startsWith('ERROR'));
    // The same error object, thrown twice: reported once.
    expect(shown).toEqual(['ERROR step 0 | exception in sync: TypeError: bad shape']);
    // The frames shown start at the user's function, not inside the instrumentation.
    expect(stream.lines[1]).toMatch(/^ {4}at .*decorators\.test\.ts:\d+:\d+\)?$/);
    expect(stream.lines.slice(1).join('\n')).not.toMatch(/spans\.ts|@opentelemetry|async_hooks/);
  });

  it('that are not Error objects are reported too', async () => {
    const { logger, recording } = recordedLogger();
    const throwsText = logExceptions(logger)(() => {
      throw 'plain text';
    });
    expect(throwsText).toThrow('plain text');
    await logger.flush();
    expect(exceptionEvents(recording)[0]).toMatchObject({
      type: 'string',
      message: 'plain text',
    });
  });

  it('reach the logger diagnostics when no backend shows exception events', async () => {
    const diagnostics = new CollectingDiagnostics();
    const logger = new ConsoleLogger(
      { level: 'CRITICAL', stream: new CaptureStream() },
      { diagnostics, settings: { handle_signals: false } },
    );
    open.push(logger);
    const wrapped = logExceptions(logger)(function failing() {
      throw new Error('disk full');
    });
    expect(wrapped).toThrow('disk full');
    expect(diagnostics.at('ERROR')).toEqual([
      expect.stringMatching(/^exception in failing: Error: disk full\n {4}at /),
    ]);
  });
});

describe('logFunctionCalls', () => {
  it('puts arguments and the result on the span, summarized and with secrets redacted', async () => {
    const { logger, recording } = recordedLogger();
    const wandbKey = 'a'.repeat(40);
    const login = logFunctionCalls(logger)(function login(
      user: string,
      apiKey: string,
      options: { token: string; retries: number; host: string },
      ...tags: string[]
    ) {
      return { ok: apiKey.length > 0 && options.retries > 0, user, tags: tags.length };
    });
    login('ada', 'sk-live-123', { token: 'abc', retries: 3, host: wandbKey }, 'x', 'y');
    const [span] = recording.spans();
    expect(span?.attributes).toMatchObject({
      'jepa.call.arg_count': 5,
      'jepa.call.arg.user': 'ada',
      'jepa.call.arg.apiKey': '[REDACTED]',
      'jepa.call.arg.options': '{token: [REDACTED], retries: 3, host: "[REDACTED]"}',
      'jepa.call.arg.tags.0': 'x',
      'jepa.call.arg.tags.1': 'y',
      'jepa.call.result': '{ok: true, user: "ada", tags: 2}',
    });
    expect(JSON.stringify(span?.attributes)).not.toContain('sk-live-123');
    expect(JSON.stringify(span?.attributes)).not.toContain(wandbKey);
  });

  it('never serializes without bound: long text is cut, big containers are summarized', async () => {
    const { logger, recording } = recordedLogger();
    const consume = logFunctionCalls(logger)(function consume(
      text: string,
      values: number[],
      _pixels: Float32Array,
    ) {
      return text.length + values.length;
    });
    consume(
      'x'.repeat(10_000),
      Array.from({ length: 1_000_000 }, (_, i) => i),
      new Float32Array(4096),
    );
    const attributes = recording.spans()[0]!.attributes;
    expect(attributes['jepa.call.arg.text']).toHaveLength(256);
    expect(attributes['jepa.call.arg.values']).toBe('[0, 1, 2, 3, 4, 5, 6, 7, … 999992 more]');
    expect(attributes['jepa.call.arg._pixels']).toBe('Float32Array(4096)');
    expect(attributes['jepa.call.result']).toBe(1_010_000);
  });
});

describe('decorating', () => {
  it('keeps this, and merges stacked decorators into one span in any order', async () => {
    const { logger, recording, sink } = recordedLogger();
    class Counter {
      count = 0;
      @logExceptions(logger)
      @logFunctionCalls(logger)
      @logExecutionTime(logger)
      add(by: number) {
        this.count += by;
        return this.count;
      }
    }
    const counter = new Counter();
    expect(counter.add(2)).toBe(2);
    expect(counter.add(3)).toBe(5);
    await logger.flush();
    const spans = recording.spans();
    expect(spans.map((span) => span.name)).toEqual(['add', 'add']);
    expect(spans[1]?.attributes).toMatchObject({ 'jepa.call.arg.by': 3, 'jepa.call.result': 5 });
    expect(timeRows(sink, 'time/add')).toHaveLength(2);
  });

  it('takes a name for the span and the metric', async () => {
    const { logger, recording, sink } = recordedLogger();
    const step = logExecutionTime(logger, { name: 'train_step' })(() => 1);
    step();
    await logger.flush();
    expect(recording.spans()[0]?.name).toBe('train_step');
    expect(timeRows(sink, 'time/train_step')).toHaveLength(1);
  });

  it('works with createLogger (a MultiLogger) as with any run', async () => {
    const recording = recordingBackend();
    const logger = createLogger(
      { backends: ['console'], console: { stream: new CaptureStream() } },
      { backends: [recording.backend], settings: { handle_signals: false } },
    );
    open.push(logger);
    const timedParent = logExecutionTime(logger)(function parent() {
      return timedChild();
    });
    const timedChild = logExecutionTime(logger)(function child() {
      return 1;
    });
    timedParent();
    const [first, second] = recording.spans();
    expect([first?.name, second?.name]).toEqual(['child', 'parent']);
    expect(first?.parentSpanContext?.spanId).toBe(second?.spanContext().spanId);
  });

  it('rejects what it cannot decorate, naming it', () => {
    const { logger } = recordedLogger();
    expect(() => logExecutionTime({} as BaseLogger)).toThrow(
      /logExecutionTime\(logger\): expected a logger/,
    );
    expect(() => {
      class Broken {
        // @ts-expect-error: a field, not a method
        @logExecutionTime(logger) value = 1;
      }
      return new Broken();
    }).toThrow("@logExecutionTime decorates methods and functions, not the field 'value'");
    expect(() => (logFunctionCalls(logger) as (x: unknown) => unknown)(42)).toThrow(
      /logFunctionCalls\(logger\) decorates a method or wraps a function/,
    );
  });
});

describe('with a custom logger (no run)', () => {
  class RowLogger extends BaseLogger {
    readonly rows: [Metrics, number | undefined][] = [];
    logMetrics(metrics: Metrics, step?: number): void {
      this.rows.push([metrics, step]);
    }
  }

  it('times through logMetrics and traces through the global OTel API', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    // No run is open here, so no run holds the global provider.
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    try {
      const logger = new RowLogger({}, new CollectingDiagnostics());
      const timedOuter = logExecutionTime(logger)(async function outer() {
        await sleep(1);
        return timedInner();
      });
      const timedInner = logExecutionTime(logger)(function inner() {
        return 7;
      });
      expect(await timedOuter()).toBe(7);
      expect(logger.rows.map(([row, step]) => [Object.keys(row), step])).toEqual([
        [['time/inner'], undefined],
        [['time/outer'], undefined],
      ]);
      const spans = exporter.getFinishedSpans();
      expect(spans.map((s) => s.name)).toEqual(['inner', 'outer']);
      expect(spans[0]?.parentSpanContext?.spanId).toBe(spans[1]?.spanContext().spanId);
    } finally {
      trace.disable();
    }
  });

  it('shows exceptions through the logger diagnostics', () => {
    const diagnostics = new CollectingDiagnostics();
    const logger = new RowLogger({}, diagnostics);
    const wrapped = logExceptions(logger)(function failing() {
      throw new SyntaxError('bad token');
    });
    expect(wrapped).toThrow(SyntaxError);
    expect(diagnostics.at('ERROR')[0]).toMatch(/^exception in failing: SyntaxError: bad token/);
  });
});
