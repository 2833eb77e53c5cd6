/**
 * MultiLogger and createLogger (the Python API's `multi_logger` module). The built-in backends of a
 * MultiLogger share one OTel provider set, so a row is recorded once and fanned out by OTel;
 * registered custom loggers are called beside it, each shielded from the others' failures.
 */
import { asValid, LoggingConfig } from '../config/logging-config.js';
import { type LoggingConfigInput, sectionSchemas } from '../config/schema.js';
import type { HistogramInput, ImageInput } from '../events/media.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import { otlpConfiguredByEnv } from '../exporters/otlp/otlp-backend.js';
import type { FinishOptions } from '../telemetry/training-run.js';
import { type BaseLogger, type LoggerConfig, LoggerRegistry, type Metrics } from './base-logger.js';
import './builtins.js';
import type { Environment } from '../environment.js';
import {
  type BackendContext,
  isTelemetryLoggerClass,
  TelemetryLogger,
  type TelemetryLoggerOptions,
} from './telemetry-logger.js';

/** One backend of the list form: `['console', {level: 'INFO'}]`. */
export type BackendSpec = readonly [name: string, config?: LoggerConfig];

/**
 * The list form, the dict form (`{backends: [...], console: {...}}`, typed from the schema), or a
 * LoggingConfig.
 */
export type MultiLoggerConfig<Custom extends string = never> =
  | readonly BackendSpec[]
  | LoggingConfigInput<Custom>
  | LoggingConfig;

export class MultiLogger extends TelemetryLogger {
  /** The backends that do not write through OTel: registered custom loggers. */
  readonly loggers: readonly BaseLogger[];

  constructor(config: MultiLoggerConfig, options: TelemetryLoggerOptions = {}) {
    const env = options.env ?? process.env;
    const { specs, settings } = normalize(config, options, env);
    const custom: BaseLogger[] = [];
    const createBackends = (context: BackendContext): TelemetryBackend[] =>
      specs.flatMap(([name, section = {}]) => {
        const loggerClass = LoggerRegistry.get(name);
        if (isTelemetryLoggerClass(loggerClass))
          return [loggerClass.createBackend(section, context)];
        custom.push(new loggerClass(section));
        return [];
      });
    // `logger.config` is the configuration as a plain dict (secrets masked when it was loaded).
    const asDict = config instanceof LoggingConfig ? config.toDict() : config;
    super(Array.isArray(asDict) ? {} : (asDict as LoggerConfig), createBackends, {
      ...options,
      env,
      settings,
    });
    this.loggers = custom;
  }

  protected override writeMetrics(metrics: Metrics, step?: number): void {
    super.writeMetrics(metrics, step);
    const at = this.run.step;
    this.forEachCustom('logMetrics', (logger) => logger.logMetrics(metrics, at));
  }

  protected override writeAtCurrentStep(values: Readonly<Record<string, number>>): void {
    super.writeAtCurrentStep(values);
    const at = Math.max(this.run.step, 0);
    this.forEachCustom('logMetrics', (logger) => logger.logMetrics(values, at));
  }

  protected override writeHistogram(tag: string, values: HistogramInput, step?: number): void {
    super.writeHistogram(tag, values, step);
    this.forEachCustom('logHistogram', (logger) => logger.logHistogram(tag, values, step));
  }

  protected override writeImage(tag: string, images: ImageInput, step?: number): void {
    super.writeImage(tag, images, step);
    this.forEachCustom('logImage', (logger) => logger.logImage(tag, images, step));
  }

  protected override writeText(tag: string, text: string, step?: number): void {
    super.writeText(tag, text, step);
    this.forEachCustom('logText', (logger) => logger.logText(tag, text, step));
  }

  protected override writeHyperparams(
    hparams: Readonly<Record<string, unknown>>,
    metrics?: Metrics,
  ): void {
    super.writeHyperparams(hparams, metrics);
    this.forEachCustom('logHyperparams', (logger) => logger.logHyperparams(hparams, metrics));
  }

  protected override async writeModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[],
  ): Promise<void> {
    await Promise.all([
      super.writeModel(model, name, aliases),
      ...this.loggers.map((logger) => logger.logModel(model, name, aliases)),
    ]);
  }

  protected override async onFinish(options: FinishOptions): Promise<void> {
    const results = await Promise.allSettled([
      super.onFinish(options),
      ...this.loggers.map((logger) => logger.finish(options)),
    ]);
    for (const result of results) {
      if (result.status === 'rejected')
        this.logger.warning(`finish failed in a backend: ${String(result.reason)}`);
    }
  }

  private forEachCustom(method: string, call: (logger: BaseLogger) => void): void {
    for (const logger of this.loggers) {
      try {
        call(logger);
      } catch (error) {
        this.logger.warning(`${logger.constructor.name}.${method} failed: ${String(error)}`);
      }
    }
  }
}

/**
 * A logger from a dict, a YAML file path (its `logging:` section) or a LoggingConfig (the Python
 * API's
 * `create_logger`). The otlp backend is added when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 */
export function createLogger<Custom extends string = never>(
  config: MultiLoggerConfig<Custom> | string,
  options: TelemetryLoggerOptions = {},
): MultiLogger {
  const env = options.env ?? process.env;
  const loaded = Array.isArray(config)
    ? (config as readonly BackendSpec[])
    : LoggingConfig.load(config, {
        env,
        diagnostics: options.diagnostics,
        customBackends: customBackendNames(),
      });
  return new MultiLogger(loaded, { ...options, env });
}

function normalize(
  config: MultiLoggerConfig,
  options: TelemetryLoggerOptions,
  env: Environment,
): { specs: BackendSpec[]; settings: TelemetryLoggerOptions['settings'] } {
  let specs: BackendSpec[];
  let settings = options.settings;
  if (Array.isArray(config)) {
    specs = (config as readonly BackendSpec[]).map(([name, section]) => [name, section ?? {}]);
  } else {
    const loaded = LoggingConfig.load(config, {
      env,
      diagnostics: options.diagnostics,
      customBackends: customBackendNames(),
    });
    specs = loaded.backends.map((name) => [name, loaded.section(name)]);
    const wandbProject = loaded.backends.includes('wandb')
      ? loaded.section('wandb').project
      : undefined;
    // Settings given in code win over the configuration's.
    const given =
      options.settings instanceof LoggingConfig ? options.settings.global : options.settings;
    const project = loaded.global.project ?? wandbProject;
    settings = given
      ? { ...loaded.global, project, ...given }
      : asValid({ ...loaded.global, project });
  }
  if (!specs.some(([name]) => name === 'otlp') && otlpConfiguredByEnv(env))
    specs.push(['otlp', {}]);
  return { specs, settings };
}

/** Registered backends that are not built in: their configuration sections are not checked. */
export function customBackendNames(): string[] {
  return LoggerRegistry.names().filter((name) => !(name in sectionSchemas));
}
