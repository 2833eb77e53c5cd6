/**
 * Training events as console lines, formatted like Python's `logging` (the Python API's console
 * options) and coloured with chalk when the stream is a terminal and `NO_COLOR` is not set.
 */
import {
  Chalk,
  type ChalkInstance,
  supportsColorStderr,
  supportsColor as supportsColorStdout,
} from 'chalk';
import { publishPrintedLine } from '../../console-lines.js';
import { escapeControls } from '../../diagnostics.js';
import type { Environment, TextStream } from '../../environment.js';
import {
  EventName,
  type ExceptionEvent,
  type HistogramEvent,
  type HparamsEvent,
  type ImageEvent,
  type MetricsEvent,
  type ProgressEvent,
  type RunEndEvent,
  type TextEvent,
} from '../../events/events.js';
import { LEVELS, type Level } from '../../levels.js';
import { maskSecretNames } from '../../secrets.js';
import type { TrainingSink } from '../training-sink.js';
import { ProgressBar } from './progress-bar.js';
import { compileFormat, type FormatRecord } from './python-format.js';

/** Keys and tags whose shown form `ConsoleSink` keeps. */
const MAX_SHOWN_TAGS = 4096;

export const DEFAULT_CONSOLE_FORMAT = '%(asctime)s - %(levelname)s - %(message)s';

export interface ConsoleSinkOptions {
  /** Lines below this level are not shown. Rows are INFO, failures ERROR. Default INFO. */
  readonly level?: Level;
  /** A Python `logging` format string. Default `'%(asctime)s - %(levelname)s - %(message)s'`. */
  readonly format?: string;
  /** A Python `datefmt` for `%(asctime)s`. Default `'%Y-%m-%d %H:%M:%S,mmm'`. */
  readonly dateFormat?: string;
  /** Colour levels and keys when the stream supports it and `NO_COLOR` is unset. Default true. */
  readonly colored?: boolean;
  /** Where lines go. Default stderr, as Python's logging. */
  readonly stream?: TextStream;
  /** `%(name)s`. Default `jepa`. */
  readonly name?: string;
  /** Digits after the point for non-integer values. Default 4. */
  readonly precision?: number;
  /** Environment to read `NO_COLOR` from. Default `process.env`. */
  readonly env?: Environment;
}

export class ConsoleSink implements TrainingSink {
  private readonly threshold: number;
  private readonly formatLine: (record: FormatRecord) => string;
  private readonly stream: TextStream;
  private readonly paint: ChalkInstance;
  private readonly name: string;
  private readonly precision: number;
  /** Keys as `tag` shows them: a row's keys repeat every step, escaping and colouring them once. */
  private readonly shownTags = new Map<string, string>();
  /** Shown under the lines while a loop of known length runs, on a terminal only. */
  private bar: ProgressBar | undefined;

  constructor(options: ConsoleSinkOptions = {}) {
    this.threshold = LEVELS[options.level ?? 'INFO'];
    this.formatLine = compileFormat(options.format ?? DEFAULT_CONSOLE_FORMAT, options.dateFormat);
    this.stream = options.stream ?? process.stderr;
    this.name = options.name ?? 'jepa';
    this.precision = options.precision ?? 4;
    this.paint = new Chalk({ level: colorLevel(options, this.stream) });
  }

  /** The training event names shown at this level (the rest need not be produced at all). */
  static eventsShownAt(level: Level): string[] | undefined {
    const threshold = LEVELS[level];
    if (threshold <= LEVELS.INFO) return undefined;
    return threshold <= LEVELS.ERROR ? [EventName.runEnd, EventName.exception] : [EventName.runEnd];
  }

  writeMetrics(event: MetricsEvent): void {
    this.bar?.update(event.step, event.timeMs);
    let message = this.stepLabel(event.step);
    const { values } = event;
    for (const key in values) {
      message += ` | ${this.tag(key)} ${formatValue(values[key]!, this.precision)}`;
    }
    this.emit('INFO', event.timeMs, message);
  }

  writeHistogram(event: HistogramEvent): void {
    const h = event.histogram;
    const mean = h.count > 0 ? h.sum / h.count : Number.NaN;
    const stats = [
      `n ${h.count}`,
      `min ${this.num(h.min)}`,
      `mean ${this.num(mean)}`,
      `max ${this.num(h.max)}`,
    ];
    this.emit(
      'INFO',
      event.timeMs,
      `${this.stepLabel(event.step)} | histogram ${this.tag(event.tag)}: ${stats.join(', ')}`,
    );
  }

  writeImage(event: ImageEvent): void {
    const size = `${event.width}x${event.height}x${event.channels} PNG, ${event.png.byteLength} bytes`;
    this.emit(
      'INFO',
      event.timeMs,
      `${this.stepLabel(event.step)} | image ${this.tag(event.tag)}[${event.index}]: ${size}`,
    );
  }

  writeText(event: TextEvent): void {
    const firstLine = event.text.split('\n', 1)[0] ?? '';
    const shown =
      firstLine.length > 120 || event.text.includes('\n')
        ? `${firstLine.slice(0, 120)}...`
        : firstLine;
    this.emit(
      'INFO',
      event.timeMs,
      `${this.stepLabel(event.step)} | text ${this.tag(event.tag)}: ${escapeControls(shown)}`,
    );
  }

  writeHparams(event: HparamsEvent): void {
    // JSON escapes the control characters of values; keys are escaped as everywhere else.
    const params = Object.entries(maskSecretNames(event.hparams)).map(
      ([k, v]) => `${this.tag(k)}=${JSON.stringify(v)}`,
    );
    this.emit('INFO', event.timeMs, `hyperparameters: ${params.join(', ')}`);
  }

  writeException(event: ExceptionEvent): void {
    const where = event.functionName ? ` in ${this.tag(event.functionName)}` : '';
    // The frames of a stack trace, indented below the message as Python's logging shows them.
    const frames = (event.stacktrace ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .map((line) => `\n    ${escapeControls(line.trim())}`)
      .join('');
    const what = escapeControls(`${event.type}: ${event.message}`);
    this.emit(
      'ERROR',
      event.timeMs,
      `${this.stepLabel(event.step)} | exception${where}: ${what}${frames}`,
    );
  }

  /** A bar for a loop of known length, on a terminal; piped output keeps plain lines. */
  writeProgress(event: ProgressEvent): void {
    if (this.stream.isTTY !== true) return;
    this.bar = new ProgressBar({ total: event.total, paint: this.paint.cyan });
  }

  writeRunEnd(event: RunEndEvent): void {
    if (this.bar) {
      // Leave the final state of the bar on screen, then the lines go on below it.
      this.stream.write(`\r\u001b[2K${this.bar.render(this.columns)}\n`);
      this.bar = undefined;
    }
    const failed = event.status !== 'finished';
    this.emit(
      failed ? 'ERROR' : 'INFO',
      event.timeMs,
      `run ${event.status} (exit code ${event.exitCode})`,
    );
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}

  private emit(level: Level, timeMs: number, message: string): void {
    const levelno = LEVELS[level];
    if (levelno < this.threshold) return;
    const levelname = LEVEL_COLORS[level](this.paint)(level);
    const line = `${this.formatLine({ name: this.name, levelname, levelno, message, timeMs })}\n`;
    // On a terminal the bar is the last line: clear it, write the line, draw it again below.
    this.stream.write(this.bar ? `\r\u001b[2K${line}${this.bar.render(this.columns)}` : line);
    publishPrintedLine({ text: line, stream: this.stream });
  }

  private get columns(): number {
    // A pseudo-terminal may report no size at all (0 columns).
    return this.stream.columns || 80;
  }

  /** A key, tag or name as given by the training code: escaped, then coloured. */
  private tag(text: string): string {
    let shown = this.shownTags.get(text);
    if (shown === undefined) {
      // Bounded: a loop that logs ever new keys must not grow it without end.
      if (this.shownTags.size >= MAX_SHOWN_TAGS) this.shownTags.clear();
      shown = this.paint.cyan(escapeControls(text));
      this.shownTags.set(text, shown);
    }
    return shown;
  }

  private stepLabel(step: number): string {
    return this.paint.bold(`step ${step}`);
  }

  private num(value: number): string {
    return formatValue(value, this.precision);
  }
}

const LEVEL_COLORS: Record<Level, (c: ChalkInstance) => (text: string) => string> = {
  DEBUG: (c) => c.gray,
  INFO: (c) => c.green,
  WARNING: (c) => c.yellow,
  ERROR: (c) => c.red,
  CRITICAL: (c) => c.bgRed.white,
};

/**
 * A metric value for reading: integers as they are, tiny or huge values in exponent form (so a
 * learning rate of 1e-4 does not print as 0.0001 rounded to 0.0001 and lose its digits), the rest
 * with `precision` digits.
 */
export function formatValue(value: number, precision = 4): string {
  if (Number.isInteger(value) || !Number.isFinite(value))
    return Object.is(value, -0) ? '-0' : String(value);
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) return value.toExponential(Math.max(0, precision - 1));
  return value.toFixed(precision);
}

function colorLevel(options: ConsoleSinkOptions, stream: TextStream): 0 | 1 | 2 | 3 {
  const env = options.env ?? process.env;
  if (options.colored === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return 0;
  const forced = env.FORCE_COLOR;
  if (forced !== undefined && stream !== process.stderr && stream !== process.stdout) {
    return forced === '0' || forced === 'false'
      ? 0
      : (Math.min(3, Number(forced) || 1) as 1 | 2 | 3);
  }
  const support =
    stream === process.stderr
      ? supportsColorStderr
      : stream === process.stdout
        ? supportsColorStdout
        : false;
  return support ? support.level : 0;
}
