/**
 * The console's progress bar: steps done of a known total, the rate and the time left, rendered
 * as one line that fits the terminal. It only computes and renders; the console sink decides
 * when and where to draw it.
 */

export interface ProgressBarOptions {
  /** The step at which the loop is complete. */
  readonly total: number;
  /** Colours the bar (the console's chalk instance); identity by default. */
  readonly paint?: (text: string) => string;
}

const FILLED = '█';
const EMPTY = '░';
const MIN_BAR_WIDTH = 10;

export class ProgressBar {
  readonly total: number;
  private readonly paint: (text: string) => string;
  private first: { step: number; timeMs: number } | undefined;
  private latest: { step: number; timeMs: number } | undefined;

  constructor(options: ProgressBarOptions) {
    this.total = options.total;
    this.paint = options.paint ?? ((text) => text);
  }

  /** Records that `step` was reached at `timeMs` (a row's time). */
  update(step: number, timeMs: number): void {
    this.first ??= { step, timeMs };
    this.latest = { step, timeMs };
  }

  /** Steps per second since the first update; undefined until two distinct times are seen. */
  get rate(): number | undefined {
    if (!this.first || !this.latest) return undefined;
    const seconds = (this.latest.timeMs - this.first.timeMs) / 1000;
    const steps = this.latest.step - this.first.step;
    return seconds > 0 && steps > 0 ? steps / seconds : undefined;
  }

  /** Seconds left at the current rate; undefined while the rate is unknown. */
  get etaSeconds(): number | undefined {
    const rate = this.rate;
    if (rate === undefined) return undefined;
    return Math.max(0, this.total - this.done) / rate;
  }

  private get done(): number {
    return Math.min(this.total, Math.max(0, this.latest?.step ?? 0));
  }

  /** The bar as one line of at most `columns` characters (no newline). */
  render(columns: number): string {
    const done = this.done;
    const fraction = this.total > 0 ? done / this.total : 1;
    const rate = this.rate;
    const eta = this.etaSeconds;
    const counts = `${String(done).padStart(String(this.total).length)}/${this.total}`;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const speed = rate === undefined ? '' : ` ${formatRate(rate)} steps/s`;
    const left = eta === undefined ? '' : ` ETA ${formatDuration(eta)}`;
    const text = `${counts} ${percent}${speed}${left}`;
    const barWidth = columns - text.length - 3;
    if (barWidth < MIN_BAR_WIDTH) return text.slice(0, Math.max(0, columns - 1));
    const filled = Math.round(fraction * barWidth);
    const bar = this.paint(FILLED.repeat(filled)) + EMPTY.repeat(barWidth - filled);
    return `${bar}  ${text}`;
  }
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function formatDuration(seconds: number): string {
  const total = Math.ceil(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
