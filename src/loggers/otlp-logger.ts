import { parseSection } from '../config/logging-config.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import { otlpBackend } from '../exporters/otlp/otlp-backend.js';
import type { LoggerConfig } from './base-logger.js';
import {
  type BackendContext,
  TelemetryLogger,
  type TelemetryLoggerOptions,
} from './telemetry-logger.js';

/**
 * Metrics, spans and training events over OTLP/HTTP to a Collector (or any OTLP receiver), with
 * the standard OTel exporters; `OTEL_EXPORTER_OTLP_*` variables apply.
 */
export class OtlpLogger extends TelemetryLogger {
  static createBackend(config: LoggerConfig, context: BackendContext): TelemetryBackend {
    return otlpBackend(
      parseSection('otlp', config, { env: context.env, diagnostics: context.diagnostics }),
      { env: context.env, diagnostics: context.diagnostics },
    );
  }

  constructor(config: LoggerConfig = {}, options: TelemetryLoggerOptions = {}) {
    super(config, (context) => [OtlpLogger.createBackend(config, context)], options);
  }
}
