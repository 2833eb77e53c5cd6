import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { OtelGlobalsWatch } from '../src/otel-api.js';

afterEach(() => {
  trace.disable();
  metrics.disable();
  logs.disable();
});

describe('OtelGlobalsWatch', () => {
  it('sees each registration and removal of a global provider once', () => {
    const watch = new OtelGlobalsWatch();
    expect(watch.changed()).toBe(true);
    expect(watch.changed()).toBe(false);

    trace.setGlobalTracerProvider(new TracerProvider());
    expect(watch.changed()).toBe(true);
    expect(watch.changed()).toBe(false);

    metrics.setGlobalMeterProvider(new MeterProvider());
    expect(watch.changed()).toBe(true);
    expect(watch.changed()).toBe(false);

    logs.setGlobalLoggerProvider(new LoggerProvider());
    expect(watch.changed()).toBe(true);
    expect(watch.changed()).toBe(false);

    metrics.disable();
    expect(watch.changed()).toBe(true);
    metrics.setGlobalMeterProvider(new MeterProvider());
    expect(watch.changed()).toBe(true);
    expect(watch.changed()).toBe(false);
  });
});
