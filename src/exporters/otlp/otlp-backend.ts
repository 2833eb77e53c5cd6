/**
 * The standard OTLP/HTTP exporters for all three signals, as a backend. Endpoints, headers,
 * timeouts and compression come from the `OTEL_EXPORTER_OTLP_*` variables unless the config sets
 * them; the OTel exporters read those variables themselves.
 */
import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OtlpSection } from '../../config/sections/otlp.js';
import type { TelemetryBackend } from '../../telemetry/backend.js';

/** Training curves in Grafana want fresher points than the OTel default of 60 s. */
const DEFAULT_EXPORT_INTERVAL_MS = 10_000;

type Signal = 'traces' | 'metrics' | 'logs';
type Protocol = 'http/protobuf' | 'http/json';

/** True when the environment points OTLP somewhere (any signal), and the SDK is not disabled. */
export function otlpConfiguredByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  return ['', 'TRACES_', 'METRICS_', 'LOGS_'].some((s) =>
    Boolean(env[`OTEL_EXPORTER_OTLP_${s}ENDPOINT`]),
  );
}

export function otlpBackend(
  section: OtlpSection,
  env: NodeJS.ProcessEnv = process.env,
): TelemetryBackend {
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
  const json = (signal: Signal) => protocol(signal) === 'http/json';

  const metricReader = () =>
    new PeriodicExportingMetricReader({
      exporter: json('metrics')
        ? new OTLPJsonMetricExporter(common('metrics'))
        : new OTLPProtoMetricExporter(common('metrics')),
      exportIntervalMillis,
      exportTimeoutMillis: Math.min(30_000, exportIntervalMillis),
    });
  const logExporter = json('logs')
    ? new OTLPJsonLogExporter(common('logs'))
    : new OTLPProtoLogExporter(common('logs'));
  const traceExporter = json('traces')
    ? new OTLPJsonTraceExporter(common('traces'))
    : new OTLPProtoTraceExporter(common('traces'));

  const intervalFromEnv = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  const exportIntervalMillis = section.export_interval
    ? section.export_interval * 1000
    : intervalFromEnv > 0
      ? intervalFromEnv
      : DEFAULT_EXPORT_INTERVAL_MS;
  const queue = {
    maxQueueSize: section.max_queue_size,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 1000,
  };
  return {
    name: 'otlp',
    // The run's instruments and everything else live on two meter providers: a reader each.
    runMetricReaders: [metricReader()],
    metricReaders: [metricReader()],
    logRecordProcessors: [new BatchLogRecordProcessor({ exporter: logExporter, ...queue })],
    spanProcessors: [new BatchSpanProcessor(traceExporter, queue)],
  };
}
