/**
 * Loggers that wrap another logger (the structured, async and conditional loggers): what they do
 * not handle themselves goes to the wrapped logger, and the run behind it stays reachable, so
 * decorators take spans and instruments from it and per-call rows land at its current step.
 */
import { ConfigError } from '../config/errors.js';
import type * as z from '../config/zod.js';
import type { DiagnosticLogger } from '../diagnostics.js';
import type { TrainingRun } from '../telemetry/training-run.js';
import { BaseLogger, ForwardingLogger, type LoggerConfig, LoggerRegistry } from './base-logger.js';
import './builtins.js';
import { TelemetryLogger } from './telemetry-logger.js';

/** Keys every wrapper takes to name what it wraps. */
export const BASE_KEYS = ['base_logger', 'backend'] as const;

export interface LoggerWrapperOptions {
  /** Receives the wrapper's own warnings. Default: the wrapped logger's. */
  readonly diagnostics?: DiagnosticLogger;
}

/**
 * The one base of the loggers that wrap another (async, conditional, structured): each hook hands
 * its call to the wrapped logger's public method, so a wrapper overrides only the hooks it
 * changes, and the wrapped logger's own middleware runs too.
 */
export abstract class LoggerWrapper extends ForwardingLogger {
  /** The logger every call ends up in. */
  readonly base: BaseLogger;

  constructor(config: LoggerConfig, base: BaseLogger, options: LoggerWrapperOptions = {}) {
    super(config, options.diagnostics ?? base.logger);
    this.base = base;
  }

  protected get target(): BaseLogger {
    return this.base;
  }

  /** Warns that the keys of `rest` configure nothing; `why` says what they may have been meant for. */
  protected warnIgnored(who: string, rest: Readonly<Record<string, unknown>>, why: string): void {
    const keys = Object.keys(rest);
    if (keys.length > 0) this.logger.warning(`${who}: ${keys.join(', ')} ignored (${why})`);
  }
}

/**
 * The logger a wrapper wraps: `base_logger` or `backend`, each a logger or a registered backend
 * name (default `console`). A backend created by name gets the configuration's other keys, those
 * not in `ownKeys`, as its section: `{backend: 'wandb', buffer_size: 10, project: 'p'}` gives W&B
 * `{project: 'p'}`.
 */
export function resolveBaseLogger(
  who: string,
  config: LoggerConfig,
  ownKeys: readonly string[],
): { base: BaseLogger; rest: Record<string, unknown> } {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!ownKeys.includes(key) && !(BASE_KEYS as readonly string[]).includes(key))
      rest[key] = value;
  }
  if (config.base_logger !== undefined && config.backend !== undefined) {
    throw new ConfigError([
      { path: `${who}.base_logger`, message: 'give base_logger or backend, not both' },
    ]);
  }
  const key = config.base_logger !== undefined ? 'base_logger' : 'backend';
  const given = config[key] ?? 'console';
  if (given instanceof BaseLogger) return { base: given, rest };
  if (typeof given === 'string') return { base: LoggerRegistry.create(given, rest), rest: {} };
  throw new ConfigError([
    {
      path: `${who}.${key}`,
      message: `expected a logger or a registered backend name (${LoggerRegistry.names().join(', ')}), got ${typeof given}`,
    },
  ]);
}

/**
 * What a wrapper's constructor needs from its configuration: its own options (the keys of
 * `schema`, checked by it) and the logger it wraps, with the keys that configure nothing.
 */
export function resolveWrapper<S extends z.ZodMiniObject>(
  who: string,
  schema: S,
  config: LoggerConfig,
): { own: z.output<S>; base: BaseLogger; rest: Record<string, unknown> } {
  const ownKeys = Object.keys(schema.shape);
  const own = parseWrapperOptions(
    who,
    schema,
    Object.fromEntries(ownKeys.map((key) => [key, config[key]])),
  );
  return { own, ...resolveBaseLogger(who, config, ownKeys) };
}

/** Checks a wrapper's own options with `schema`; every problem is named by its key. */
export function parseWrapperOptions<S extends z.ZodMiniType>(
  who: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      path: [who, ...issue.path.map(String)].join('.'),
      message: issue.message.replace(/^Invalid input: /, ''),
    })),
  );
}

/** The logger at the bottom of a stack of wrappers (`logger` itself when it wraps nothing). */
export function unwrap(logger: BaseLogger): BaseLogger {
  return logger instanceof LoggerWrapper ? unwrap(logger.base) : logger;
}

/**
 * The training run behind `logger`, looking through wrappers and, for an AsyncLogger whose
 * backends are in a worker, at its calling thread's run (`caller`); undefined for other loggers.
 */
export function runOf(logger: BaseLogger): TrainingRun | undefined {
  const inner = unwrap(logger);
  if (inner instanceof TelemetryLogger) return inner.run;
  const { caller } = inner as { readonly caller?: BaseLogger };
  return caller ? runOf(caller) : undefined;
}
