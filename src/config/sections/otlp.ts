import { z } from 'zod';
import { meta, seconds } from './common.js';

export const otlpSection = z.object({
  endpoint: meta(z.string().url().optional(), { otelEnv: 'OTEL_EXPORTER_OTLP_ENDPOINT' }).describe(
    'Base URL of the OTLP/HTTP receiver; /v1/metrics, /v1/traces and /v1/logs are appended',
  ),
  protocol: meta(z.enum(['http/protobuf', 'http/json']).optional(), {
    otelEnv: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  }).describe('OTLP encoding (default http/protobuf)'),
  headers: meta(z.record(z.string(), z.string()).optional(), {
    otelEnv: 'OTEL_EXPORTER_OTLP_HEADERS',
    secret: true,
  }).describe('Extra HTTP headers, e.g. an Authorization token'),
  export_interval: meta(seconds().optional(), {
    otelEnv: 'OTEL_METRIC_EXPORT_INTERVAL',
  }).describe(
    'Seconds between metric exports (default 10; the environment variable is in milliseconds)',
  ),
  timeout: meta(seconds().optional(), {
    otelEnv: 'OTEL_EXPORTER_OTLP_TIMEOUT',
  }).describe('Seconds before an export request is abandoned (default 10)'),
  max_queue_size: z
    .number()
    .int()
    .min(1)
    .default(16384)
    .describe(
      'Log records and spans held while the receiver is slow or down; beyond it they are dropped and counted',
    ),
});
export type OtlpSection = z.output<typeof otlpSection>;
