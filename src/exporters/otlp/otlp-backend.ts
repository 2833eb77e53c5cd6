/**
 * The standard OTLP/HTTP exporters for all three signals, as a backend. Endpoints, headers,
 * timeouts and compression come from the `OTEL_EXPORTER_OTLP_*` variables unless the config sets
 * them; the OTel exporters read those variables themselves. Every exporter is counted: what the
 * OTLP path loses (full queues, failed exports) is reported through the diagnostics, at most once
 * per export interval and in total at the end, and exported as `jepa.otlp.lost`.
 */

import type { MeterProvider } from '@opentelemetry/api';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { MAX_SECONDS, MIN_SECONDS } from '../../config/sections/common.js';
import type { OtlpSection } from '../../config/sections/otlp.js';
import { type DiagnosticLogger, stderrDiagnostics } from '../../diagnostics.js';
import type { Environment } from '../../environment.js';
import { INSTRUMENTATION_SCOPE } from '../../events/events.js';
import { lazyModule } from '../../lazy-module.js';
import { sdkMetrics } from '../../otel-sdk.js';
import type { TelemetryBackend } from '../backend.js';
import {
  CountedLogRecordExporter,
  CountedMetricExporter,
  CountedSpanExporter,
} from './counted-exporters.js';
import { OtlpDeliveryLedger } from './delivery-ledger.js';
import { lossMetricProducer } from './loss-metrics.js';
import { OtlpLogRecordProcessor, OtlpSpanProcessor } from './processors.js';
import { queueDropObserver } from './queue-drops.js';

// The six exporters (and their transport and serializers), loaded when an otlp backend is made.
const exporters = {
  logs: {
    json: lazyModule<typeof import('@opentelemetry/exporter-logs-otlp-http')>(
      '@opentelemetry/exporter-logs-otlp-http',
    ),
    proto: lazyModule<typeof import('@opentelemetry/exporter-logs-otlp-proto')>(
      '@opentelemetry/exporter-logs-otlp-proto',
    ),
  },
  metrics: {
    json: lazyModule<typeof import('@opentelemetry/exporter-metrics-otlp-http')>(
      '@opentelemetry/exporter-metrics-otlp-http',
    ),
    proto: lazyModule<typeof import('@opentelemetry/exporter-metrics-otlp-proto')>(
      '@opentelemetry/exporter-metrics-otlp-proto',
    ),
  },
  traces: {
    json: lazyModule<typeof import('@opentelemetry/exporter-trace-otlp-http')>(
      '@opentelemetry/exporter-trace-otlp-http',
    ),
    proto: lazyModule<typeof import('@opentelemetry/exporter-trace-otlp-proto')>(
      '@opentelemetry/exporter-trace-otlp-proto',
    ),
  },
};

/** Training curves in Grafana want fresher points than the OTel default of 60 s. */
const DEFAULT_EXPORT_INTERVAL_MS = 10_000;

/**
 * OTEL_METRIC_EXPORT_INTERVAL (milliseconds) when it is in the range of `otlp.export_interval`;
 * outside it (Node would run a longer timer every millisecond), ignored with a warning, as the
 * OTel SDK ignores a variable it cannot use.
 */
function intervalFromEnv(env: Environment, diagnostics: DiagnosticLogger): number | undefined {
  const raw = env.OTEL_METRIC_EXPORT_INTERVAL;
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (ms >= MIN_SECONDS * 1000 && ms <= MAX_SECONDS * 1000) return ms;
  diagnostics.warning(
    `otlp: OTEL_METRIC_EXPORT_INTERVAL=${JSON.stringify(raw)} ignored: expected milliseconds from ` +
      `${MIN_SECONDS * 1000} to ${MAX_SECONDS * 1000} (a day); exporting every ${DEFAULT_EXPORT_INTERVAL_MS / 1000} s`,
  );
  return undefined;
}

type Signal = 'traces' | 'metrics' | 'logs';
type Protocol = 'http/protobuf' | 'http/json';

/** True when the environment points OTLP somewhere (any signal), and the SDK is not disabled. */
export function otlpConfiguredByEnv(env: Environment = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  return ['', 'TRACES_', 'METRICS_', 'LOGS_'].some((s) =>
    Boolean(env[`OTEL_EXPORTER_OTLP_${s}ENDPOINT`]),
  );
}

export interface OtlpBackendOptions {
  /** Where the `OTEL_*` variables are read. Default `process.env`. */
  readonly env?: Environment;
  /** Receives the loss reports. Default stderr. */
  readonly diagnostics?: DiagnosticLogger;
  /** Counts deliveries and losses; default a new one reporting to `diagnostics`. */
  readonly ledger?: OtlpDeliveryLedger;
  /**
   * `calls`: for the calling thread of an AsyncLogger whose worker exports the rest, only what
   * stays on that thread: the spans of decorated calls and its run's own instruments
   * (`jepa.call.duration`, `jepa.call.exceptions`, `jepa.async_logger.dropped`; that run records
   * the rows' instruments on the application's meter only, see `rowInstrumentsOnOwnMeter`).
   * Default `all`.
   */
  readonly part?: 'all' | 'calls';
}

export function otlpBackend(
  section: OtlpSection,
  options: OtlpBackendOptions = {},
): TelemetryBackend {
  const env = options.env ?? process.env;
  const common = (signal: Signal) => ({
    ...(section.endpoint ? { url: `${section.endpoint.replace(/\/+$/, '')}/v1/${signal}` } : {}),
    ...(section.headers ? { headers: section.headers } : {}),
    ...(section.timeout ? { timeoutMillis: section.timeout * 1000 } : {}),
  });
  const protocol = (signal: Signal): Protocol => {
    const value =
      section.protocol ??
      env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`] ??
      env.OTEL_EXPORTER_OTLP_PROTOCOL;
    if (value === undefined || value === 'http/protobuf' || value === 'http/json')
      return value ?? 'http/protobuf';
    throw new Error(`otlp: protocol '${value}' is not supported; use http/protobuf or http/json`);
  };
  const format = (signal: Signal) => (protocol(signal) === 'http/json' ? 'json' : 'proto');

  const diagnostics = options.diagnostics ?? stderrDiagnostics();
  const exportIntervalMillis = section.export_interval
    ? section.export_interval * 1000
    : (intervalFromEnv(env, diagnostics) ?? DEFAULT_EXPORT_INTERVAL_MS);
  const deliveries =
    options.ledger ??
    new OtlpDeliveryLedger({ diagnostics, reportIntervalMillis: exportIntervalMillis });
  const callsOnly = options.part === 'calls';
  // A metric reader, a log and a span processor (or a metric reader and the span processor), and
  // the reader of other instruments once it is made: the ledger closes after the last of them.
  let open = callsOnly ? 2 : 3;
  const counting = {
    ledger: deliveries,
    onShutdown: () => {
      if (--open === 0) deliveries.close();
    },
  };

  const { OTLPMetricExporter } = exporters.metrics[format('metrics')]();
  const { OTLPLogExporter } = exporters.logs[format('logs')]();
  const { OTLPTraceExporter } = exporters.traces[format('traces')]();
  const metricReader = (metricProducers: MetricProducer[] = []) =>
    new (sdkMetrics().PeriodicExportingMetricReader)({
      exporter: new CountedMetricExporter(new OTLPMetricExporter(common('metrics')), counting),
      exportIntervalMillis,
      exportTimeoutMillis: Math.min(30_000, exportIntervalMillis),
      metricProducers,
    });
  const traceExporter = new CountedSpanExporter(new OTLPTraceExporter(common('traces')), counting);
  const queue = {
    maxQueueSize: section.max_queue_size,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 1000,
  };
  const observe = (signal: 'logs' | 'traces'): MeterProvider =>
    queueDropObserver((count) => deliveries.lost(signal, 'queue_full', count));
  const spanProcessors = [
    new OtlpSpanProcessor(traceExporter, { ...queue, selfObsMeterProvider: observe('traces') }),
  ];
  if (callsOnly) {
    return {
      name: 'otlp',
      abandon: () => deliveries.abandon(),
      // Without jepa.otlp.lost: the worker's backend exports it, for the same resource (its
      // span losses are reported as warnings).
      runMetricReaders: [metricReader()],
      spanProcessors,
    };
  }
  const logExporter = new CountedLogRecordExporter(new OTLPLogExporter(common('logs')), counting);
  return {
    name: 'otlp',
    abandon: () => deliveries.abandon(),
    // The run's instruments and everything else live on two meter providers: a reader each.
    runMetricReaders: [metricReader([lossMetricProducer(deliveries, INSTRUMENTATION_SCOPE)])],
    metricReaders: () => {
      open++;
      return [metricReader()];
    },
    logRecordProcessors: [
      new OtlpLogRecordProcessor(logExporter, { ...queue, selfObsMeterProvider: observe('logs') }),
    ],
    spanProcessors,
  };
}
