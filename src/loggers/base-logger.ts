import { closestMatch } from '../config/suggest.js';
import { type DiagnosticLogger, stderrDiagnostics } from '../diagnostics.js';
import type { HistogramInput, ImageInput } from '../events/media.js';
import type { FinishOptions } from '../telemetry/training-run.js';
import { applyMiddleware, type LoggerMiddleware } from './middleware.js';

/** A row of metrics: key -> value. Numbers are metrics; see docs/bad-input.md for the rest. */
export type Metrics = Readonly<Record<string, unknown>>;

/** A backend's own configuration section, as given in code or YAML. */
export type LoggerConfig = Readonly<Record<string, unknown>>;

/**
 * The contract every logger keeps (the Python API's `BaseLogger`). Subclasses implement
 * `logMetrics`; media, hyperparameters and models are optional and do nothing unless a logger
 * supports them.
 *
 * Middleware added with `addMiddleware` runs before any subclass's `logMetrics`, including one a
 * user writes: the constructor wraps the subclass's method, so ported Python loggers that override
 * `logMetrics` directly get middleware for free.
 */
export abstract class BaseLogger {
  readonly config: LoggerConfig;
  /** Where the logger reports its own problems (the Python API's `self.logger`). */
  logger: DiagnosticLogger;
  private readonly middleware: LoggerMiddleware[] = [];

  constructor(config: LoggerConfig = {}, logger: DiagnosticLogger = stderrDiagnostics()) {
    this.config = config;
    this.logger = logger;
    const write: BaseLogger['logMetrics'] = Reflect.get(this, 'logMetrics');
    this.logMetrics = (metrics, step) => {
      if (this.middleware.length === 0) return write.call(this, metrics, step);
      const row = applyMiddleware(this.middleware, metrics, step);
      if (row) write.call(this, row[0], row[1]);
    };
  }

  /** Logs one row of metrics at `step` (the next step when omitted). */
  abstract logMetrics(metrics: Metrics, step?: number): void;

  /** Logs the distribution of `values` under `tag`. */
  logHistogram(_tag: string, _values: HistogramInput, _step?: number): void {}

  /** Logs PNG bytes or raw pixels (one image or a batch) under `tag`. */
  logImage(_tag: string, _images: ImageInput, _step?: number): void {}

  /** Logs text (markdown where the backend renders it) under `tag`. */
  logText(_tag: string, _text: string, _step?: number): void {}

  /** Records the run's hyperparameters, and the metrics they are judged by. */
  logHyperparams(_hparams: Readonly<Record<string, unknown>>, _metrics?: Metrics): void {}

  /** Saves a model file or bytes as an artifact named `name`. */
  async logModel(_model: string | Uint8Array, _name: string, _aliases?: readonly string[]) {}

  /** Adds a middleware; middleware runs in the order added. */
  addMiddleware(middleware: LoggerMiddleware): this {
    this.middleware.push(middleware);
    return this;
  }

  /**
   * Logs `values` at the current step without moving it (per-call timings of decorated
   * functions). A logger that tracks no step logs them as an ordinary row.
   */
  logAtCurrentStep(values: Readonly<Record<string, number>>): void {
    this.logMetrics(values);
  }

  /** Sends what the logger holds to its backends, without ending anything. */
  async flush(): Promise<void> {}

  /**
   * Writes what it holds synchronously, where it can: the last chance at process exit, where
   * `end` ends the run first (its exit code).
   */
  flushSync(_end?: FinishOptions): void {}

  /** Flushes and releases everything (a run ends with `options`); safe to call more than once. */
  async finish(_options?: FinishOptions): Promise<void> {}
}

/** A class that can be registered: built from its configuration section. */
export type LoggerClass = new (config: LoggerConfig) => BaseLogger;

/**
 * Logger types by name (the Python API's `LoggerRegistry`). The built-in backends (`console`,
 * `tensorboard`, `wandb`, `otlp`) register themselves when `jepa-loggers` is imported.
 */
export class LoggerRegistry {
  private static readonly classes = new Map<string, LoggerClass>();

  static register(name: string, loggerClass: LoggerClass): void {
    if (!name || typeof name !== 'string') {
      throw new TypeError(
        `LoggerRegistry.register: name must be a non-empty string, got ${String(name)}`,
      );
    }
    if (typeof loggerClass !== 'function') {
      throw new TypeError(`LoggerRegistry.register('${name}'): expected a logger class`);
    }
    LoggerRegistry.classes.set(name, loggerClass);
  }

  static create(name: string, config: LoggerConfig = {}): BaseLogger {
    return new (LoggerRegistry.get(name))(config);
  }

  /** The class registered as `name`; an error naming the known ones when there is none. */
  static get(name: string): LoggerClass {
    const loggerClass = LoggerRegistry.classes.get(name);
    if (loggerClass) return loggerClass;
    const known = LoggerRegistry.names();
    const suggestion = closestMatch(name, known);
    throw new Error(
      `Unknown logger backend '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; ` +
        `registered: ${known.join(', ') || 'none'}`,
    );
  }

  static has(name: string): boolean {
    return LoggerRegistry.classes.has(name);
  }

  static names(): string[] {
    return [...LoggerRegistry.classes.keys()].sort();
  }
}
