/**
 * What an instrumented call records in OTel: a span (a child of the active one, so a training
 * step contains its forward and backward passes), its duration on a histogram, and its exceptions
 * on a counter and as a `jepa.exception` event. With a run, the run's own providers are used;
 * without one, the global OTel API (whatever SDK the application set up).
 *
 * Instruments, for dashboards (Prometheus names after the Collector's translation):
 * - `jepa.call.duration`, histogram, unit `s` (`jepa_call_duration_seconds_bucket|_sum|_count`),
 *   attributes `code.function.name` and, for failed calls, `error.type`.
 * - `jepa.call.exceptions`, counter, unit `{exception}` (`jepa_call_exceptions_total`),
 *   attributes `code.function.name` and `exception.type`.
 */

import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  Attributes,
  Counter,
  Histogram,
  MeterProvider,
  Span,
  Tracer,
} from '@opentelemetry/api';
import {
  Attr,
  type ExceptionInfo,
  exceptionRecord,
  INSTRUMENTATION_SCOPE,
} from '../events/events.js';
import { otelApi } from '../otel-api.js';
import { activeContext, withActiveContext } from './call-context.js';
import { RunMeters } from './instruments.js';
import type { TrainingRun } from './training-run.js';

export const CALL_DURATION = 'jepa.call.duration';
export const CALL_EXCEPTIONS = 'jepa.call.exceptions';
/** Bucket edges in seconds, from a fast step (1 ms) to a slow one (a minute). */
export const CALL_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
const ERROR_TYPE = 'error.type';

/** How a call ended, as its span and instruments see it. */
export type CallOutcome =
  | { readonly failed: false; readonly value: unknown }
  | { readonly failed: true; readonly error: unknown };

export class CallTelemetry {
  private static readonly byRun = new WeakMap<TrainingRun, CallTelemetry>();
  private static readonly byGlobalProvider = new WeakMap<MeterProvider, CallTelemetry>();

  private readonly durations: Histogram[] = [];
  private readonly exceptions: Counter[] = [];

  private constructor(
    meters: RunMeters,
    private readonly run: TrainingRun | undefined,
  ) {
    meters.each((meter) => {
      this.durations.push(
        meter.createHistogram(CALL_DURATION, {
          unit: 's',
          description: 'duration of instrumented calls (decorated functions)',
          advice: { explicitBucketBoundaries: CALL_DURATION_BUCKETS },
        }),
      );
      this.exceptions.push(
        meter.createCounter(CALL_EXCEPTIONS, {
          unit: '{exception}',
          description: 'exceptions that escaped instrumented calls',
        }),
      );
    });
  }

  /**
   * The run's telemetry (instruments only when one of its backends exports them), or the global
   * API's when there is no run.
   */
  static of(run: TrainingRun | undefined): CallTelemetry {
    if (!run) {
      const provider = otelApi().metrics.getMeterProvider();
      let global = CallTelemetry.byGlobalProvider.get(provider);
      if (!global) {
        const meters = new RunMeters();
        meters.add(provider.getMeter(INSTRUMENTATION_SCOPE));
        global = new CallTelemetry(meters, undefined);
        CallTelemetry.byGlobalProvider.set(provider, global);
      }
      return global;
    }
    let telemetry = CallTelemetry.byRun.get(run);
    if (!telemetry) {
      telemetry = new CallTelemetry(run.meters, run);
      CallTelemetry.byRun.set(run, telemetry);
    }
    return telemetry;
  }

  /** The run's tracer (the app's when it has one), or the global one as it is now. */
  get tracer(): Tracer {
    return this.run ? this.run.tracer : otelApi().trace.getTracer(INSTRUMENTATION_SCOPE);
  }

  /**
   * Runs `call` in a span named `name`, active while it runs (across `await` too). `settle` sees
   * how it ended, with its duration in seconds, before the span ends (it must not throw: the
   * call's own outcome is what the caller gets). A promise result is
   * replaced by one that settles the same way once the span has ended; errors are rethrown as
   * they are.
   */
  inSpan<T>(
    name: string,
    attributes: Attributes,
    call: () => T,
    settle: (span: Span, outcome: CallOutcome, seconds: number) => void,
  ): T {
    const parent = activeContext();
    const span = this.tracer.startSpan(name, { attributes }, parent);
    return withActiveContext(otelApi().trace.setSpan(parent, span), () => {
      const start = performance.now();
      const end = (outcome: CallOutcome) => {
        try {
          if (outcome.failed) markFailed(span, outcome.error);
          settle(span, outcome, (performance.now() - start) / 1000);
        } finally {
          span.end();
        }
      };
      let result: T;
      try {
        result = call();
      } catch (error) {
        end({ failed: true, error });
        throw error;
      }
      if (!isPromiseLike(result)) {
        end({ failed: false, value: result });
        return result;
      }
      return Promise.resolve(result).then(
        (value) => {
          end({ failed: false, value });
          return value;
        },
        (error: unknown) => {
          end({ failed: true, error });
          throw error;
        },
      ) as T;
    });
  }

  recordDuration(name: string, seconds: number, outcome: CallOutcome): void {
    if (this.durations.length === 0) return;
    const attributes = {
      [Attr.functionName]: name,
      ...(outcome.failed ? { [ERROR_TYPE]: exceptionInfo(outcome.error).type } : {}),
    };
    for (const duration of this.durations) duration.record(seconds, attributes);
  }

  /**
   * Counts an exception and emits it as a `jepa.exception` event at the run's current step.
   * False when no backend of the run reads such events (or there is no run): the caller shows it
   * another way.
   */
  reportException(name: string, error: unknown): boolean {
    const info = exceptionInfo(error, name);
    const attributes = { [Attr.functionName]: name, [Attr.exceptionType]: info.type };
    for (const exceptions of this.exceptions) exceptions.add(1, attributes);
    const run = this.run;
    return run?.emitEvent(exceptionRecord(Math.max(run.step, 0), info)) ?? false;
  }
}

/** Type, message and stack of anything thrown (`throw 'text'` included). */
export function exceptionInfo(error: unknown, functionName?: string): ExceptionInfo {
  const base =
    error instanceof Error
      ? {
          // A subclass that does not set `name` still has its class name on the constructor.
          type:
            error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error',
          message: error.message,
          stacktrace: error.stack && withoutInstrumentation(error.stack),
        }
      : { type: typeof error, message: String(error) };
  return functionName ? { ...base, functionName } : base;
}

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** Frames of the instrumentation itself: this package's wrappers and OTel's context plumbing. */
const INSTRUMENTATION_FRAMES = [
  // chunks/: the code the built entries share (scripts/build.mjs bundles dist/), these among it.
  ...['telemetry', 'loggers', 'chunks'].flatMap((dir) => {
    const path = join(PACKAGE_DIR, dir, sep);
    return [path, pathToFileURL(path).href];
  }),
  `${sep}@opentelemetry${sep}`,
  'node:async_hooks',
];

/** A stack trace with the frames between the user's function and its caller left out. */
function withoutInstrumentation(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !INSTRUMENTATION_FRAMES.some((frame) => line.includes(frame)))
    .join('\n');
}

function markFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message: exceptionInfo(error).message });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
