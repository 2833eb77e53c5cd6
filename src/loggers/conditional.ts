/**
 * ConditionalLogger (the Python API's `conditional` module): passes on only the logging calls that
 * meet its `conditions`, in this order:
 * - `level_filter`: the call's level must be at least this (DEBUG < INFO < WARNING < ERROR <
 *   CRITICAL). `logMetrics` and the media calls are INFO; `log(level, metrics, step)` logs a row
 *   at another level. Default: the wrapped run's `level` setting, else INFO.
 * - `min_step`: calls for a step below it are dropped. A row without a step is at the next step
 *   and media without one at the current step, as a run counts them; this logger counts steps
 *   itself and always passes an explicit step on, so the wrapped logger agrees. Default 0.
 * - `max_frequency` f in (0, 1]: of the calls that met the conditions above, the n-th is kept
 *   exactly when floor(n·f) > floor((n−1)·f): at most f of any first n calls (exactly
 *   floor(n·f) of them), spread evenly and deterministically. With 0.1 the 10th, 20th, 30th, ...
 *   are kept; with 1/3 every third. f is taken as the nearest fraction with a denominator up to
 *   10^9. Rows, per-call timings, histograms, images and text are counted separately, so
 *   occasional histograms are not starved by frequent rows. Default 1 (keep all).
 * Hyperparameters and models always pass.
 */
import { describe, levelSchema } from '../config/sections/common.js';
import * as z from '../config/zod.js';
import type { HistogramInput, ImageInput } from '../events/media.js';
import { isLevel, LEVELS, type Level } from '../levels.js';
import type { LoggerConfig, Metrics } from './base-logger.js';
import { LoggerWrapper, type LoggerWrapperOptions, resolveWrapper } from './logger-wrapper.js';
import { TelemetryLogger } from './telemetry-logger.js';

const conditionsSchema = z.strictObject({
  min_step: describe(
    z._default(z.int().check(z.gte(0)), 0),
    'Calls for steps below this are dropped',
  ),
  max_frequency: describe(
    z._default(z.number().check(z.gt(0), z.lte(1)), 1),
    'Largest fraction of calls kept, in (0, 1]',
  ),
  level_filter: describe(z.optional(levelSchema), 'Calls below this level are dropped'),
});
const optionsSchema = z.object({ conditions: z.prefault(conditionsSchema, {}) });

export type ConditionalConditions = z.input<typeof conditionsSchema>;

/** Kinds of calls whose frequency is limited separately. */
type Stream = 'rows' | 'timings' | 'histograms' | 'images' | 'text';

export class ConditionalLogger extends LoggerWrapper {
  readonly minStep: number;
  readonly maxFrequency: number;
  readonly levelFilter: Level;
  private readonly gates = new Map<Stream, FrequencyGate>();
  private latestStep = -1;
  /** The level of the row being logged: INFO unless `log` says otherwise. */
  private callLevel: Level = 'INFO';

  /**
   * @param config `conditions: {min_step, max_frequency, level_filter}`, and `base_logger` or
   *   `backend`: a logger or a registered backend name (default `console`, configured by the
   *   other keys).
   */
  constructor(config: LoggerConfig, options: LoggerWrapperOptions = {}) {
    const { own, base, rest } = resolveWrapper('ConditionalLogger', optionsSchema, config);
    const { conditions } = own;
    super(config, base, options);
    this.warnIgnored('ConditionalLogger', rest, "did you mean to put them under 'conditions'?");
    this.minStep = conditions.min_step;
    this.maxFrequency = conditions.max_frequency;
    this.levelFilter =
      conditions.level_filter ?? (base instanceof TelemetryLogger ? base.settings.level : 'INFO');
  }

  /** Logs a row at `level` (`logMetrics` logs at INFO). */
  log(level: Level, metrics: Metrics, step?: number): void {
    if (!isLevel(level)) {
      throw new TypeError(
        `ConditionalLogger.log: level '${level}' is not one of ${Object.keys(LEVELS).join(', ')}`,
      );
    }
    // Through logMetrics, so that middleware sees the row as it sees any other.
    this.callLevel = level;
    try {
      this.logMetrics(metrics, step);
    } finally {
      this.callLevel = 'INFO';
    }
  }

  protected override writeMetrics(metrics: Metrics, step?: number): void {
    const at = isStep(step) ? Math.floor(step) : this.latestStep + 1;
    this.latestStep = at;
    if (this.admits('rows', at, this.callLevel)) this.base.logMetrics(metrics, step ?? at);
  }

  protected override writeAtCurrentStep(values: Readonly<Record<string, number>>): void {
    if (this.admits('timings', Math.max(this.latestStep, 0), 'INFO'))
      this.base.logAtCurrentStep(values);
  }

  protected override writeHistogram(tag: string, values: HistogramInput, step?: number): void {
    const at = this.mediaStep(step);
    if (this.admits('histograms', at, 'INFO')) this.base.logHistogram(tag, values, step ?? at);
  }

  protected override writeImage(tag: string, images: ImageInput, step?: number): void {
    const at = this.mediaStep(step);
    if (this.admits('images', at, 'INFO')) this.base.logImage(tag, images, step ?? at);
  }

  protected override writeText(tag: string, text: string, step?: number): void {
    const at = this.mediaStep(step);
    if (this.admits('text', at, 'INFO')) this.base.logText(tag, text, step ?? at);
  }

  private mediaStep(step: number | undefined): number {
    const at = isStep(step) ? Math.floor(step) : Math.max(this.latestStep, 0);
    this.latestStep = at;
    return at;
  }

  private admits(stream: Stream, step: number, level: Level): boolean {
    if (LEVELS[level] < LEVELS[this.levelFilter]) return false;
    if (step < this.minStep) return false;
    let gate = this.gates.get(stream);
    if (!gate) {
      gate = new FrequencyGate(this.maxFrequency);
      this.gates.set(stream, gate);
    }
    return gate.admit();
  }
}

/**
 * Keeps the n-th call exactly when floor(n·f) > floor((n−1)·f), in integer arithmetic on f as a
 * fraction p/q (the nearest one with q up to 10^9: 0.1 is 1/10, 1/3 is 1/3), so that no
 * rounding drifts over millions of calls.
 */
export class FrequencyGate {
  private readonly numerator: number;
  private readonly denominator: number;
  private remainder = 0;

  constructor(fraction: number) {
    [this.numerator, this.denominator] = nearestFraction(fraction);
  }

  admit(): boolean {
    this.remainder += this.numerator;
    if (this.remainder < this.denominator) return false;
    this.remainder -= this.denominator;
    return true;
  }
}

/** The continued-fraction convergent of x in (0, 1] closest to it with a denominator <= max. */
function nearestFraction(x: number, maxDenominator = 1_000_000_000): [number, number] {
  let [p0, q0, p1, q1] = [0, 1, 1, 0];
  let rest = x;
  for (;;) {
    const whole = Math.floor(rest);
    const [p2, q2] = [whole * p1 + p0, whole * q1 + q0];
    if (q2 > maxDenominator) break;
    [p0, q0, p1, q1] = [p1, q1, p2, q2];
    const fraction = rest - whole;
    if (fraction < 1e-9 || p1 / q1 === x) break;
    rest = 1 / fraction;
  }
  return [p1, q1];
}

function isStep(step: unknown): step is number {
  return typeof step === 'number' && Number.isFinite(step) && step >= 0;
}
