import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import type { BaseLogger } from '../../src/loggers/base-logger.js';
import { ConsoleLogger } from '../../src/loggers/console-logger.js';
import {
  fromSeedSchema,
  StructuredLogger,
  StructuredRecordError,
} from '../../src/loggers/structured.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { CaptureStream } from '../support/capture-stream.js';
import { memoryBackend } from '../support/memory-sink.js';
import { recordingBackend } from '../support/recording-backend.js';

const open: BaseLogger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

const SEED_SCHEMA = {
  metrics: { type: 'dict', required: true },
  metadata: { type: 'dict', required: false },
};

function recordedBase() {
  const { sink, backend } = memoryBackend();
  const recording = recordingBackend();
  const base = new TelemetryLogger({}, () => [backend, recording.backend], {
    settings: { handle_signals: false },
  });
  open.push(base);
  return { base, sink, recording };
}

function structured(schema: Record<string, unknown>, base: BaseLogger) {
  const logger = new StructuredLogger({ schema, base_logger: base });
  open.push(logger);
  return logger;
}

describe('seed: Structured Logging', () => {
  it('logs the seed record: one OTel log record, its numbers as metrics', async () => {
    const stream = new CaptureStream();
    const recording = recordingBackend();
    const base = new ConsoleLogger(
      { stream, format: '%(levelname)s %(message)s' },
      { settings: { handle_signals: false }, backends: [recording.backend] },
    );
    const logger = new StructuredLogger({
      schema: {
        metrics: { type: 'dict', required: true },
        metadata: { type: 'dict', required: false },
      },
      base_logger: base,
    });
    open.push(logger);

    logger.logStructured({
      metrics: { loss: 0.5, accuracy: 0.9 },
      metadata: { epoch: 10, batch_size: 64 },
    });

    await base.flush();
    const [record] = recording.logs().filter((r) => r.eventName === 'jepa.structured');
    expect(record?.body).toEqual({
      metrics: { loss: 0.5, accuracy: 0.9 },
      metadata: { epoch: 10, batch_size: 64 },
    });
    expect(record?.attributes['jepa.step']).toBe(0);
    expect(stream.lines[0]).toBe(
      'INFO step 0 | metrics/loss 0.5000 | metrics/accuracy 0.9000 | metadata/epoch 10 | metadata/batch_size 64',
    );
  });
});

describe('StructuredLogger', () => {
  it('lists every violation and writes nothing for an invalid record', async () => {
    const { base, sink, recording } = recordedBase();
    const logger = structured(
      {
        metrics: { type: 'dict', required: true },
        epoch: { type: 'int', required: true },
        name: { type: 'str' },
        tags: { type: 'list' },
        lr: { type: 'float', minimum: 0 },
      },
      base,
    );
    let error: unknown;
    try {
      logger.logStructured({ epoch: 1.5, name: 3, tags: 'a', lr: -1 });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(StructuredRecordError);
    expect((error as StructuredRecordError).violations).toEqual([
      { path: 'metrics', message: 'is required but missing' },
      { path: 'epoch', message: 'must be integer, got number' },
      { path: 'name', message: 'must be string, got integer' },
      { path: 'tags', message: 'must be array, got string' },
      { path: 'lr', message: 'must be >= 0' },
    ]);
    expect((error as Error).message).toContain('(5 problems)');
    expect((error as Error).message).toContain('  - epoch: must be integer, got number');
    await base.flush();
    expect(sink.rows).toEqual([]);
    expect(recording.logs()).toEqual([]);
  });

  it('takes any JSON Schema and names nested paths', () => {
    const { base } = recordedBase();
    const logger = structured(
      {
        type: 'object',
        required: ['run'],
        properties: {
          run: {
            type: 'object',
            properties: { seed: { type: 'integer' }, 'a/b': { type: 'string' } },
            additionalProperties: false,
          },
        },
      },
      base,
    );
    expect(logger.validate({ run: { seed: 'x', 'a/b': 1, extra: true } })).toEqual([
      { path: 'run', message: 'must NOT have additional properties' },
      { path: 'run.seed', message: 'must be integer, got string' },
      { path: 'run.a/b', message: 'must be string, got integer' },
    ]);
    expect(logger.validate({ run: { seed: 3 } })).toEqual([]);
  });

  it('logs at the step given, with numeric leaves only', async () => {
    const { base, sink, recording } = recordedBase();
    const logger = structured(SEED_SCHEMA, base);
    logger.logStructured(
      { metrics: { loss: 0.25, note: 'warm-up', steps: [1, 2] }, metadata: { when: new Date(0) } },
      42,
    );
    await base.flush();
    expect(sink.rows.map((row) => [row.step, row.values])).toEqual([
      [42, { 'metrics/loss': 0.25 }],
    ]);
    const [record] = recording.logs().filter((r) => r.eventName === 'jepa.structured');
    expect(record?.attributes['jepa.step']).toBe(42);
    expect(record?.body).toEqual({
      metrics: { loss: 0.25, note: 'warm-up', steps: [1, 2] },
      metadata: { when: '1970-01-01T00:00:00.000Z' },
    });
  });

  it("translates the seed's types to JSON Schema", () => {
    expect(
      fromSeedSchema({
        a: { type: 'dict', required: true },
        b: { type: 'list' },
        c: { type: 'str' },
        d: { type: 'int' },
        e: { type: 'float' },
        f: { type: 'number' },
        g: { type: 'bool' },
        h: { type: 'any', required: true },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        a: { type: 'object' },
        b: { type: 'array' },
        c: { type: 'string' },
        d: { type: 'integer' },
        e: { type: 'number' },
        f: { type: 'number' },
        g: { type: 'boolean' },
        h: {},
      },
      required: ['a', 'h'],
    });
  });

  it('rejects a schema that is not one, naming the option', () => {
    const { base } = recordedBase();
    expect(() => new StructuredLogger({ base_logger: base })).toThrow(ConfigError);
    expect(() => new StructuredLogger({ base_logger: base })).toThrow(/StructuredLogger\.schema/);
    expect(
      () => new StructuredLogger({ schema: { type: 'object', properties: 3 }, base_logger: base }),
    ).toThrow(/StructuredLogger\.schema: .*properties must be object/);
  });

  it('writes through a backend given by name, configured by the other keys', async () => {
    const diagnostics = new CollectingDiagnostics();
    const stream = new CaptureStream();
    const logger = new StructuredLogger(
      { schema: SEED_SCHEMA, backend: 'console', stream, format: '%(message)s' },
      { diagnostics },
    );
    open.push(logger);
    logger.logStructured({ metrics: { loss: 1 } }, 3);
    await logger.flush();
    expect(stream.lines).toEqual(['step 3 | metrics/loss 1']);
    expect(diagnostics.messages).toEqual([]);
  });
});
