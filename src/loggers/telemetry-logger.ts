/**
 * The base of every logger that writes through OTel: it owns a `TrainingRun` whose providers its
 * backends share, and the process exit hooks that finish the run when the process ends early.
 */
import { isValid, LoggingConfig } from '../config/logging-config.js';
import type { GlobalConfig } from '../config/schema.js';
import { type DiagnosticLogger, stderrDiagnostics } from '../diagnostics.js';
import type { Environment } from '../environment.js';
import { type RunIdentity, resolveRunIdentity } from '../events/run-identity.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import type { OTelProviders } from '../telemetry/app-providers.js';
import { trackRun, untrackRun } from '../telemetry/lifecycle.js';
import { SystemMetrics } from '../telemetry/system-metrics.js';
import { type FinishOptions, TrainingRun } from '../telemetry/training-run.js';
import { ForwardingLogger, type LoggerConfig } from './base-logger.js';

export interface TelemetryLoggerOptions {
  /**
   * Run-wide settings: the configuration's global keys (`project`, `run_name`, `run_id`,
   * `instruments`, `export_interval`, `flush_timeout`, `handle_signals`, ...), or a LoggingConfig.
   */
  readonly settings?: Readonly<Record<string, unknown>> | LoggingConfig;
  /** Receives the logger's own warnings. Default stderr. */
  readonly diagnostics?: DiagnosticLogger;
  /** Environment for run identity, ranks and backend variables. Default `process.env`. */
  readonly env?: Environment;
  /** More OTel backends beside the logger's own: your exporters, or in-memory ones in tests. */
  readonly backends?: readonly TelemetryBackend[];
  /**
   * Your application's tracer provider, when it is not the registered global one: decorated
   * spans go to it. A registered global provider (a started `NodeSDK`) is found without this.
   */
  readonly tracerProvider?: OTelProviders['tracerProvider'];
  /** Your application's meter provider: every metric key is an instrument of its meter. */
  readonly meterProvider?: OTelProviders['meterProvider'];
  /** Your application's logger provider: training events are emitted on it. */
  readonly loggerProvider?: OTelProviders['loggerProvider'];
  /** See `TrainingRunOptions.rowInstrumentsOnOwnMeter`. Default true. */
  readonly rowInstrumentsOnOwnMeter?: boolean;
}

/** What a backend factory gets to build its exporters. */
export interface BackendContext {
  readonly identity: RunIdentity;
  readonly settings: GlobalConfig;
  readonly diagnostics: DiagnosticLogger;
  readonly env: Environment;
}

/** A logger class whose backend can share a run with others (see MultiLogger). */
export interface TelemetryLoggerClass {
  createBackend(config: LoggerConfig, context: BackendContext): TelemetryBackend;
}

export function isTelemetryLoggerClass(value: unknown): value is TelemetryLoggerClass {
  return typeof (value as Partial<TelemetryLoggerClass>).createBackend === 'function';
}

export class TelemetryLogger extends ForwardingLogger {
  readonly run: TrainingRun;
  readonly settings: GlobalConfig;
  /** The backends the run writes to: those `createBackends` made, then `options.backends`. */
  protected readonly backends: readonly TelemetryBackend[];
  private readonly systemMetrics: SystemMetrics | undefined;

  constructor(
    config: LoggerConfig,
    createBackends: (context: BackendContext) => readonly TelemetryBackend[],
    options: TelemetryLoggerOptions = {},
  ) {
    const diagnostics = options.diagnostics ?? stderrDiagnostics();
    super(config, diagnostics);
    const env = options.env ?? process.env;
    const given = options.settings;
    const settings =
      given instanceof LoggingConfig
        ? given.global
        : given && isValid(given)
          ? (given as GlobalConfig)
          : LoggingConfig.fromDict({ ...given, backends: [] }, { env, diagnostics }).global;
    this.settings = settings;
    const identity = resolveRunIdentity(
      { id: settings.run_id, name: settings.run_name, project: settings.project },
      env,
    );
    const context: BackendContext = { identity, settings, diagnostics, env };
    const backends = [...createBackends(context), ...(options.backends ?? [])];
    this.backends = backends;
    this.run = new TrainingRun({
      identity,
      backends,
      diagnostics,
      instruments: settings.instruments,
      histogramBins: settings.histogram_bins,
      registerGlobally: settings.register_global,
      flushTimeoutMs: settings.flush_timeout * 1000,
      rowInstrumentsOnOwnMeter: options.rowInstrumentsOnOwnMeter,
      providers: {
        tracerProvider: options.tracerProvider,
        meterProvider: options.meterProvider,
        loggerProvider: options.loggerProvider,
      },
    });
    if (settings.system_metrics ?? backends.some((backend) => backend.name === 'wandb')) {
      this.systemMetrics = new SystemMetrics({
        meters: this.run.meters,
        emit: (record) => this.run.emitEvent(record),
        intervalMs: settings.system_metrics_interval * 1000,
        diagnostics,
      });
    }
    trackRun(this, {
      handleSignals: settings.handle_signals,
      flushTimeoutMs: settings.flush_timeout * 1000,
    });
  }

  /** The run's id, name, project and rank. */
  get identity(): RunIdentity {
    return this.run.identity;
  }

  /** The step of the latest row (-1 before the first). */
  get step(): number {
    return this.run.step;
  }

  protected get target(): TrainingRun {
    return this.run;
  }

  /** Ends the run (failed when `exitCode` is not 0), flushes and shuts down. Idempotent. */
  protected override async onFinish(options: FinishOptions): Promise<void> {
    untrackRun(this);
    this.systemMetrics?.stop();
    await super.onFinish(options);
  }
}
