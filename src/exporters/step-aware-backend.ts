import { sdkMetrics } from '../otel-sdk.js';
import type { TelemetryBackend } from './backend.js';
import { SinkEventExporter } from './sink-event-exporter.js';
import { SinkLifetime } from './sink-lifetime.js';
import { SinkMetricExporter } from './sink-metric-exporter.js';
import { StepTracker, type TrainingSink } from './training-sink.js';

export interface StepAwareBackendOptions {
  /** See `SinkEventExporterOptions.logFrequency`. */
  readonly logFrequency?: number;
  /** How often other instruments are collected for the sink, in ms. Default 60000. */
  readonly exportIntervalMillis?: number;
  /** See `TelemetryBackend.events`. */
  readonly events?: readonly string[];
}

/** A sink as a backend: its event exporter, and a periodic reader for other instruments. */
export function stepAwareBackend(
  name: string,
  sink: TrainingSink,
  options: StepAwareBackendOptions = {},
): TelemetryBackend {
  const steps = new StepTracker();
  const exportIntervalMillis = options.exportIntervalMillis ?? 60_000;
  const lifetime = new SinkLifetime(sink);
  return {
    name,
    events: options.events,
    eventExporters: [
      new SinkEventExporter({
        sink,
        steps,
        logFrequency: options.logFrequency,
        release: lifetime.hold(),
      }),
    ],
    metricReaders: () => [
      new (sdkMetrics().PeriodicExportingMetricReader)({
        exporter: new SinkMetricExporter(sink, steps, lifetime.hold()),
        exportIntervalMillis,
        exportTimeoutMillis: Math.min(30_000, exportIntervalMillis),
      }),
    ],
  };
}
