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
 * The contract every logger keeps (the Python API's `BaseLogger`): what callers see. A logger of
 * your own subclasses it the Python API's way and implements `logMetrics`; media,
 * hyperparameters and models are optional and do nothing unless a logger supports them.
 *
 * Middleware added with `addMiddleware` runs before a row reaches any logger, a user's included:
 * for a class written the Python API's way, the constructor puts the middleware chain in front of
 * the class's own `logMetrics`. The built-in loggers extend {@link LoggerFacade} instead, whose
 * public methods are not overridden: they apply the middleware and call protected hooks.
 */
export abstract class BaseLogger {
  readonly config: LoggerConfig;
  /** Where the logger reports its own problems (the Python API's `self.logger`). */
  logger: DiagnosticLogger;
  /** Runs in the order added; see `addMiddleware`. */
  protected readonly middleware: LoggerMiddleware[] = [];

  constructor(config: LoggerConfig = {}, logger: DiagnosticLogger = stderrDiagnostics()) {
    this.config = config;
    this.logger = logger;
    if (!(this instanceof LoggerFacade)) putMiddlewareInFront(this, this.middleware);
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

/**
 * A class written the Python API's way implements `logMetrics` itself, so a call reaches its
 * method without passing the facade: the instance gets an own `logMetrics` that runs the
 * middleware and then the class's method. `super.logMetrics` in a subclass reaches the parent's
 * method, not this, so the middleware runs once. What the method returns is passed on when no
 * middleware is added (an async `logMetrics` returns a promise that `AsyncLogger` waits for).
 */
function putMiddlewareInFront(logger: BaseLogger, middleware: readonly LoggerMiddleware[]): void {
  const write = Object.getPrototypeOf(logger).logMetrics as BaseLogger['logMetrics'];
  Object.defineProperty(logger, 'logMetrics', {
    configurable: true,
    writable: true,
    value: (metrics: Metrics, step?: number) => {
      if (middleware.length === 0) return write.call(logger, metrics, step);
      const row = applyMiddleware(middleware, metrics, step);
      if (row) write.call(logger, row[0], row[1]);
    },
  });
}

/**
 * The base of the built-in loggers: its public methods are the facade, not overridden: they apply
 * the middleware and call the protected hooks (`writeMetrics`, `writeHistogram`, ..., `onFinish`)
 * that a subclass implements. A logger that wraps another one extends `LoggerWrapper`, whose hooks
 * hand every call on to the wrapped logger.
 *
 * Write a logger of your own either way: extend `BaseLogger` and implement `logMetrics` (the
 * Python API's form), or extend `LoggerFacade` and implement `writeMetrics`. Middleware runs first
 * in both.
 */
export abstract class LoggerFacade extends BaseLogger {
  /** Runs the middleware, then `writeMetrics` with the row it returns, if any. */
  override logMetrics(metrics: Metrics, step?: number): void {
    if (this.middleware.length === 0) {
      this.writeMetrics(metrics, step);
      return;
    }
    const row = applyMiddleware(this.middleware, metrics, step);
    if (row) this.writeMetrics(row[0], row[1]);
  }

  override logHistogram(tag: string, values: HistogramInput, step?: number): void {
    this.writeHistogram(tag, values, step);
  }

  override logImage(tag: string, images: ImageInput, step?: number): void {
    this.writeImage(tag, images, step);
  }

  override logText(tag: string, text: string, step?: number): void {
    this.writeText(tag, text, step);
  }

  override logHyperparams(hparams: Readonly<Record<string, unknown>>, metrics?: Metrics): void {
    this.writeHyperparams(hparams, metrics);
  }

  override logModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[] = [],
  ): Promise<void> {
    return this.writeModel(model, name, aliases);
  }

  override logAtCurrentStep(values: Readonly<Record<string, number>>): void {
    this.writeAtCurrentStep(values);
  }

  override flush(): Promise<void> {
    return this.onFlush();
  }

  override flushSync(end?: FinishOptions): void {
    this.onFlushSync(end);
  }

  override finish(options: FinishOptions = {}): Promise<void> {
    return this.onFinish(options);
  }

  /** Writes a row that passed the middleware. */
  protected abstract writeMetrics(metrics: Metrics, step?: number): void;

  protected writeHistogram(_tag: string, _values: HistogramInput, _step?: number): void {}

  protected writeImage(_tag: string, _images: ImageInput, _step?: number): void {}

  protected writeText(_tag: string, _text: string, _step?: number): void {}

  protected writeHyperparams(_hparams: Readonly<Record<string, unknown>>, _metrics?: Metrics) {}

  protected async writeModel(
    _model: string | Uint8Array,
    _name: string,
    _aliases: readonly string[],
  ): Promise<void> {}

  /** A logger that tracks no step logs per-call values as an ordinary row (through middleware). */
  protected writeAtCurrentStep(values: Readonly<Record<string, number>>): void {
    this.logMetrics(values);
  }

  protected async onFlush(): Promise<void> {}

  protected onFlushSync(_end?: FinishOptions): void {}

  protected async onFinish(_options: FinishOptions): Promise<void> {}
}

/** The calls a logger's hooks hand on: a logger's public methods, or a `TrainingRun`'s. */
export type LoggingCalls = Pick<
  BaseLogger,
  | 'logMetrics'
  | 'logHistogram'
  | 'logImage'
  | 'logText'
  | 'logHyperparams'
  | 'logModel'
  | 'logAtCurrentStep'
  | 'flush'
  | 'flushSync'
  | 'finish'
>;

/**
 * A facade whose hooks hand every call on unchanged to `target`: the run of a `TelemetryLogger`,
 * the wrapped logger of a `LoggerWrapper`. A subclass overrides only the hooks it changes.
 */
export abstract class ForwardingLogger extends LoggerFacade {
  /** Where every call goes. */
  protected abstract readonly target: LoggingCalls;

  protected writeMetrics(metrics: Metrics, step?: number): void {
    this.target.logMetrics(metrics, step);
  }

  protected override writeHistogram(tag: string, values: HistogramInput, step?: number): void {
    this.target.logHistogram(tag, values, step);
  }

  protected override writeImage(tag: string, images: ImageInput, step?: number): void {
    this.target.logImage(tag, images, step);
  }

  protected override writeText(tag: string, text: string, step?: number): void {
    this.target.logText(tag, text, step);
  }

  protected override writeHyperparams(
    hparams: Readonly<Record<string, unknown>>,
    metrics?: Metrics,
  ): void {
    this.target.logHyperparams(hparams, metrics);
  }

  protected override writeModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[],
  ): Promise<void> {
    return this.target.logModel(model, name, aliases);
  }

  protected override writeAtCurrentStep(values: Readonly<Record<string, number>>): void {
    this.target.logAtCurrentStep(values);
  }

  protected override onFlush(): Promise<void> {
    return this.target.flush();
  }

  protected override onFlushSync(end?: FinishOptions): void {
    this.target.flushSync(end);
  }

  protected override onFinish(options: FinishOptions): Promise<void> {
    return this.target.finish(options);
  }
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
