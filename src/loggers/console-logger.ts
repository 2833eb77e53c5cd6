import type { TelemetryBackend } from '../exporters/backend.js';
import { ConsoleSink } from '../exporters/console/console-sink.js';
import { stepAwareBackend } from '../exporters/step-aware-backend.js';
import { consoleSink } from './backend-sinks.js';
import type { LoggerConfig } from './base-logger.js';
import {
  type BackendContext,
  TelemetryLogger,
  type TelemetryLoggerOptions,
} from './telemetry-logger.js';

/**
 * Rows, media and the run's end as console lines (the Python API's `ConsoleLogger`): `level`, a
 * Python logging `format` and `colored` as in the Python API. An OTel log-record exporter
 * underneath.
 */
export class ConsoleLogger extends TelemetryLogger {
  static createBackend(config: LoggerConfig, context: BackendContext): TelemetryBackend {
    const { sink, section, level } = consoleSink(config, {
      ...context,
      defaultLevel: context.settings.level,
    });
    return stepAwareBackend('console', sink, {
      logFrequency: section.log_frequency,
      exportIntervalMillis: context.settings.export_interval * 1000,
      events: ConsoleSink.eventsShownAt(level),
    });
  }

  constructor(config: LoggerConfig = {}, options: TelemetryLoggerOptions = {}) {
    super(config, (context) => [ConsoleLogger.createBackend(config, context)], options);
  }
}
