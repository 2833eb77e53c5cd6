/**
 * The decorators under TypeScript's legacy `experimentalDecorators`: this directory's tsconfig
 * turns them on, and vitest's compiler (esbuild) honours the nearest tsconfig.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  logExceptions,
  logExecutionTime,
  logFunctionCalls,
} from '../../../src/loggers/decorators.js';
import { TelemetryLogger } from '../../../src/loggers/telemetry-logger.js';
import { memoryBackend } from '../../support/memory-sink.js';
import { recordingBackend } from '../../support/recording-backend.js';

const open: TelemetryLogger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

function recordedLogger() {
  const { sink, backend } = memoryBackend();
  const recording = recordingBackend();
  const logger = new TelemetryLogger({}, () => [backend, recording.backend], {
    settings: { handle_signals: false },
  });
  open.push(logger);
  return { logger, sink, recording };
}

describe('legacy (experimentalDecorators) method decorators', () => {
  it('are compiled as legacy decorators here: called with target, key and descriptor', () => {
    const calls: unknown[][] = [];
    const probe = (...args: unknown[]) => {
      calls.push(args);
    };
    class Probe {
      @probe
      method() {}
    }
    expect(new Probe()).toBeInstanceOf(Probe);
    expect(calls).toHaveLength(1);
    const [target, key, descriptor] = calls[0] as [object, string, PropertyDescriptor];
    expect(target).toBe(Probe.prototype);
    expect(key).toBe('method');
    expect(typeof descriptor.value).toBe('function');
  });

  it('give a training step span with forward and backward spans as children', async () => {
    const { logger, sink, recording } = recordedLogger();
    class Model {
      calls = 0;

      @logExecutionTime(logger)
      @logExceptions(logger)
      async trainingStep(batch: number[]) {
        this.calls++;
        const out = this.forward(batch);
        await new Promise((resolve) => setTimeout(resolve, 2));
        return this.backward(out);
      }

      @logFunctionCalls(logger)
      forward(batch: number[]) {
        return batch.map((x) => x * 2);
      }

      @logExecutionTime(logger)
      @logExceptions(logger)
      backward(activations: number[]) {
        if (activations.length === 0) throw new RangeError('no activations');
        return activations.length;
      }
    }
    const model = new Model();
    logger.logMetrics({ loss: 1 }, 3);
    expect(await model.trainingStep([1, 2])).toBe(2);
    await expect(model.trainingStep([])).rejects.toThrow('no activations');
    expect(model.calls).toBe(2);

    const spans = recording.spans();
    const steps = spans.filter((span) => span.name === 'trainingStep');
    expect(steps).toHaveLength(2);
    for (const step of steps) {
      const children = spans.filter(
        (span) => span.parentSpanContext?.spanId === step.spanContext().spanId,
      );
      expect(children.map((span) => span.name).sort()).toEqual(['backward', 'forward']);
    }
    const forward = spans.find((span) => span.name === 'forward');
    expect(forward?.attributes['jepa.call.arg.batch']).toBe('[1, 2]');
    const failed = spans.filter((span) => span.status.code === SpanStatusCode.ERROR);
    expect(failed.map((span) => span.name).sort()).toEqual(['backward', 'trainingStep']);
    expect(failed[0]?.events.map((event) => event.name)).toEqual(['exception']);

    await logger.flush();
    const timed = sink.rows.flatMap((row) => Object.keys(row.values).map((key) => [key, row.step]));
    expect(timed.filter(([key]) => key !== 'loss').sort()).toEqual([
      ['time/backward', 3],
      ['time/backward', 3],
      ['time/trainingStep', 3],
      ['time/trainingStep', 3],
    ]);
  });
});
