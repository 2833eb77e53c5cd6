import { LoggingConfig, parseSection } from '../config/logging-config.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import type { LoggerConfig } from './base-logger.js';
import {
  type BackendContext,
  TelemetryLogger,
  type TelemetryLoggerOptions,
} from './telemetry-logger.js';
import { wandbBackend } from './wandb-backend.js';

/**
 * Rows, media, hyperparameters and models as a Weights & Biases run (the Python API's
 * `WandbLogger`): streamed to the server (`mode: 'online'`), written for `wandb sync`
 * (`'offline'`), or nothing (`'disabled'`). `WANDB_*` variables apply. An OTel log-record exporter
 * underneath.
 */
export class WandbLogger extends TelemetryLogger {
  static createBackend(config: LoggerConfig, context: BackendContext): TelemetryBackend {
    const section = parseSection('wandb', config, {
      env: context.env,
      diagnostics: context.diagnostics,
    });
    return wandbBackend(section, {
      identity: context.identity,
      env: context.env,
      diagnostics: context.diagnostics,
      exportIntervalMillis: context.settings.export_interval * 1000,
    });
  }

  constructor(config: LoggerConfig = {}, options: TelemetryLoggerOptions = {}) {
    super(config, (context) => [WandbLogger.createBackend(config, context)], {
      ...options,
      settings: withRunIdentity(config, options.settings),
    });
  }
}

/**
 * The run-wide settings with the section's project, name and id filled in where they are not set,
 * so that the run's OTel resource names the same run as W&B.
 */
function withRunIdentity(
  config: LoggerConfig,
  settings: TelemetryLoggerOptions['settings'],
): TelemetryLoggerOptions['settings'] {
  if (settings instanceof LoggingConfig) return settings;
  const fromSection: Record<string, unknown> = {};
  if (typeof config.project === 'string') fromSection.project = config.project;
  if (typeof config.name === 'string') fromSection.run_name = config.name;
  if (typeof config.id === 'string') fromSection.run_id = config.id;
  return { ...fromSection, ...settings };
}
