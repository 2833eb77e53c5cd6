import * as z from '../zod.js';
import { describe, meta, seconds } from './common.js';

export const otlpSection = z.object({
  endpoint: describe(
    meta(z.optional(z.url()), { otelEnv: 'OTEL_EXPORTER_OTLP_ENDPOINT' }),
    'Base URL of the OTLP/HTTP receiver; /v1/metrics, /v1/traces and /v1/logs are appended',
  ),
  protocol: describe(
    meta(z.optional(z.enum(['http/protobuf', 'http/json'])), {
      otelEnv: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    }),
    'OTLP encoding (default http/protobuf)',
  ),
  headers: describe(
    meta(z.optional(z.record(z.string(), z.string())), {
      otelEnv: 'OTEL_EXPORTER_OTLP_HEADERS',
      secret: true,
    }),
    'Extra HTTP headers, e.g. an Authorization token',
  ),
  export_interval: describe(
    meta(z.optional(seconds()), { otelEnv: 'OTEL_METRIC_EXPORT_INTERVAL' }),
    'Seconds between metric exports (default 10; the environment variable is in milliseconds)',
  ),
  timeout: describe(
    meta(z.optional(seconds()), { otelEnv: 'OTEL_EXPORTER_OTLP_TIMEOUT' }),
    'Seconds before an export request is abandoned (default 10)',
  ),
  max_queue_size: describe(
    z._default(z.int().check(z.gte(1)), 16384),
    'Log records and spans held while the receiver is slow or down; beyond it they are dropped and counted',
  ),
});
export type OtlpSection = z.output<typeof otlpSection>;
