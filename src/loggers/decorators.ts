/**
 * Logging decorators (the Python API's `decorators` module): `logExecutionTime`, `logFunctionCalls`
 * and
 * `logExceptions`. Each call of a decorated function is an OTel span, a child of the active span,
 * so a decorated training step contains its decorated forward and backward passes.
 *
 * Each decorator works three ways, on sync and async functions alike:
 * - a TC39 method decorator (TypeScript 5's default): `@logExecutionTime(logger) step() {}`;
 * - a legacy decorator (`experimentalDecorators`), the same syntax;
 * - a plain wrapper: `const step = logExecutionTime(logger)(function step(batch) {...})`.
 *
 * Stacked decorators with the same logger share one span per call, whatever their order:
 * `@logExecutionTime(logger) @logExceptions(logger) step()` records one `step` span that is
 * timed and reports exceptions.
 *
 * Given a logger with a run (every built-in logger, and wrappers around one), the run's tracer
 * and meter are used; given any other logger, the global OTel API is (whatever SDK the
 * application set up), and timings still reach the logger through `logMetrics`.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import { Attr } from '../events/events.js';
import { type CallOutcome, CallTelemetry, exceptionInfo } from '../telemetry/spans.js';
import type { BaseLogger } from './base-logger.js';
import {
  argumentAttributes,
  MAX_SUMMARY_LENGTH,
  type ParameterName,
  parameterNames,
  RESULT,
  summarize,
} from './call-attributes.js';
import { runOf } from './logger-wrapper.js';

export interface CallDecoratorOptions {
  /** The span and metric name. Default: the function's or method's name. */
  readonly name?: string;
}

export interface FunctionCallsOptions extends CallDecoratorOptions {
  /** Characters each argument's summary keeps. Default 256. */
  readonly maxLength?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: decorated functions may take and return anything
export type AnyFunction = (this: any, ...args: any[]) => any;

/** What `logExecutionTime(logger)` and the others return: a decorator of either kind, or a wrapper. */
export interface CallDecorator {
  /** Wraps a function. */
  <F extends AnyFunction>(fn: F): F;
  /** A TC39 method decorator. */
  <F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext): F;
  /** A legacy (`experimentalDecorators`) method decorator. */
  (target: object, key: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Times each call: a span, the duration in seconds on the `jepa.call.duration` histogram, and a
 * `time/<name>` value at the logger's current step for the step-aware backends (console,
 * TensorBoard, W&B) without moving the step.
 */
export function logExecutionTime(
  logger: BaseLogger,
  options: CallDecoratorOptions = {},
): CallDecorator {
  return callDecorator('logExecutionTime', { time: true }, logger, options);
}

/**
 * Records each call's arguments (and its result) on its span as `jepa.call.arg.<parameter>` and
 * `jepa.call.result`: summaries cut at `maxLength` characters, containers shown by their first
 * entries, and secrets (parameters and keys named like key, token, secret, password,
 * authorization or credential, and values that look like a W&B API key) as `[REDACTED]`.
 */
export function logFunctionCalls(
  logger: BaseLogger,
  options: FunctionCallsOptions = {},
): CallDecorator {
  return callDecorator('logFunctionCalls', { calls: true }, logger, options);
}

/**
 * Reports each exception that escapes a call: on its span (an exception event and ERROR status),
 * on the `jepa.call.exceptions` counter, and on the console (a `jepa.exception` event, or the
 * logger's diagnostics when no backend shows such events), then rethrows it unchanged. An
 * exception passing through several decorated calls is counted and shown once, where it first
 * escaped.
 */
export function logExceptions(
  logger: BaseLogger,
  options: CallDecoratorOptions = {},
): CallDecorator {
  return callDecorator('logExceptions', { exceptions: true }, logger, options);
}

interface Features {
  readonly time?: boolean;
  readonly calls?: boolean;
  readonly exceptions?: boolean;
}

/** How a function is instrumented; kept on the wrapper so stacked decorators merge into it. */
interface Instrumentation {
  readonly target: AnyFunction;
  readonly logger: BaseLogger;
  readonly name: string;
  readonly features: Features;
  readonly parameters: readonly ParameterName[];
  readonly maxLength: number;
  /** The key of its per-call timing row: `time/<name>`. */
  readonly timeKey: string;
}

const INSTRUMENTATION = Symbol('jepa-loggers.instrumentation');
/** Exceptions already counted and shown, so one passing through nested calls is reported once. */
const reported = new WeakSet<object>();

function callDecorator(
  decorator: string,
  features: Features,
  logger: BaseLogger,
  options: FunctionCallsOptions,
): CallDecorator {
  if (typeof (logger as Partial<BaseLogger> | null)?.logMetrics !== 'function') {
    throw new TypeError(`${decorator}(logger): expected a logger, got ${String(logger)}`);
  }
  const wrap = (fn: AnyFunction, name: string) => instrument(fn, features, logger, name, options);
  return ((...args: unknown[]) => {
    const [first, second, third] = args;
    if (args.length === 1 && typeof first === 'function') {
      return wrap(first as AnyFunction, first.name || 'anonymous');
    }
    if (args.length === 2 && isDecoratorContext(second)) {
      if (second.kind !== 'method') {
        throw new TypeError(
          `@${decorator} decorates methods and functions, not the ${second.kind} '${String(second.name)}'`,
        );
      }
      return wrap(first as AnyFunction, String(second.name));
    }
    if (args.length === 3 && isMethodDescriptor(third)) {
      third.value = wrap(third.value, String(second));
      return third;
    }
    throw new TypeError(
      `${decorator}(logger) decorates a method or wraps a function; it was applied to ${describeTarget(args)}`,
    );
  }) as CallDecorator;
}

/** Wraps `fn`; when it is already instrumented for `logger`, merges into one wrapper instead. */
function instrument(
  fn: AnyFunction,
  features: Features,
  logger: BaseLogger,
  defaultName: string,
  options: FunctionCallsOptions,
): AnyFunction {
  const found = (fn as { [INSTRUMENTATION]?: Instrumentation })[INSTRUMENTATION];
  const inner = found?.logger === logger ? found : undefined;
  const target = inner?.target ?? fn;
  const merged = { ...inner?.features, ...features };
  const name = options.name ?? inner?.name ?? defaultName;
  const spec: Instrumentation = {
    target,
    logger,
    name,
    features: merged,
    parameters: merged.calls ? parameterNames(target) : [],
    maxLength: options.maxLength ?? inner?.maxLength ?? MAX_SUMMARY_LENGTH,
    timeKey: `time/${name}`,
  };
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return invoke(spec, this, args);
  };
  Object.defineProperties(wrapped, {
    name: { value: target.name, configurable: true },
    length: { value: target.length, configurable: true },
    [INSTRUMENTATION]: { value: spec },
  });
  return wrapped;
}

function invoke(spec: Instrumentation, self: unknown, args: unknown[]): unknown {
  const telemetry = CallTelemetry.of(runOf(spec.logger));
  const attributes: Attributes = spec.features.calls
    ? {
        [Attr.functionName]: spec.name,
        ...argumentAttributes(spec.parameters, args, spec.maxLength),
      }
    : { [Attr.functionName]: spec.name };
  return telemetry.inSpan(
    spec.name,
    attributes,
    () => spec.target.apply(self, args),
    (span, outcome, seconds) => {
      try {
        settle(spec, telemetry, span, outcome, seconds);
      } catch (error) {
        spec.logger.logger.warning(`logging the call of ${spec.name} failed: ${String(error)}`);
      }
    },
  );
}

function settle(
  spec: Instrumentation,
  telemetry: CallTelemetry,
  span: Span,
  outcome: CallOutcome,
  seconds: number,
): void {
  if (spec.features.calls && !outcome.failed && outcome.value !== undefined) {
    span.setAttribute(RESULT, summarize(outcome.value, spec.maxLength));
  }
  if (spec.features.time) {
    telemetry.recordDuration(spec.name, seconds, outcome);
    spec.logger.logAtCurrentStep({ [spec.timeKey]: seconds });
  }
  if (spec.features.exceptions && outcome.failed) {
    const error = outcome.error;
    const isObject = typeof error === 'object' && error !== null;
    if (isObject && reported.has(error)) return;
    if (isObject) reported.add(error);
    if (!telemetry.reportException(spec.name, error)) {
      const info = exceptionInfo(error);
      spec.logger.logger.error(
        `exception in ${spec.name}: ${info.stacktrace ?? `${info.type}: ${info.message}`}`,
      );
    }
  }
}

function isDecoratorContext(
  value: unknown,
): value is ClassMethodDecoratorContext | DecoratorContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as DecoratorContext).kind === 'string' &&
    'name' in value
  );
}

function isMethodDescriptor(value: unknown): value is PropertyDescriptor & { value: AnyFunction } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PropertyDescriptor).value === 'function'
  );
}

function describeTarget(args: readonly unknown[]): string {
  if (args.length === 3) return `the accessor or field '${String(args[1])}'`;
  if (args.length === 2 && typeof args[1] !== 'object') return `the field '${String(args[1])}'`;
  return `${args.length} argument(s) of types ${args.map((a) => typeof a).join(', ')}`;
}
