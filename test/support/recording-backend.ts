/**
 * A backend that keeps what reaches OTel's own in-memory exporters: finished spans, log records
 * and the run's instruments. The exporters forget everything when the run shuts down, so read
 * them before `finish()`.
 */
import {
  InMemoryLogRecordExporter,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { TelemetryBackend } from '../../src/exporters/backend.js';

export interface Recording {
  readonly backend: TelemetryBackend;
  spans(): ReadableSpan[];
  logs(): ReadableLogRecord[];
  /** Collects the instruments now; every metric exported so far, latest collection last. */
  metrics(): Promise<MetricData[]>;
}

/**
 * `instruments: false` keeps the reader but does not ask for the run's own instruments: it reads
 * other instruments then, once a run registers globally and makes it.
 */
export function recordingBackend(options: { instruments?: boolean } = {}): Recording {
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metrics,
    exportIntervalMillis: 3_600_000,
  });
  const instruments = options.instruments ?? true;
  // A reader of other instruments is made only when a run registers globally.
  let made = instruments;
  const madeReaders = () => {
    made = true;
    return [reader];
  };
  return {
    backend: {
      name: 'recording',
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
      logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logs })],
      ...(instruments ? { runMetricReaders: [reader] } : { metricReaders: madeReaders }),
    },
    spans: () => spans.getFinishedSpans(),
    logs: () => logs.getFinishedLogRecords(),
    metrics: async () => {
      if (!made) return [];
      await reader.forceFlush();
      return metrics.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    },
  };
}
