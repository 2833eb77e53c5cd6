/**
 * What the OTLP path delivered and lost, per signal, and the reports about it. The standard OTel
 * exporters and batch processors lose data quietly (a full queue drops, a failed export is gone);
 * here every loss is counted and told: the first at once, then at most one warning per interval
 * while losses go on, one when delivery resumes, and the totals when the run ends.
 */
import type { DiagnosticLogger } from '../../diagnostics.js';

export type OtlpSignal = 'logs' | 'traces' | 'metrics';

/**
 * Why items were lost: the batch processor's queue was full (the receiver is slower than the
 * run), or the export that carried them failed (after the exporter's own retries).
 */
export type LossReason = 'queue_full' | 'export_failed';

export interface SignalCounts {
  /** Items the receiver accepted. */
  delivered: number;
  /** Items dropped by a full queue. */
  queueFull: number;
  /** Items in exports that failed. */
  exportFailed: number;
}

export interface OtlpDeliveryLedgerOptions {
  /** Receives the reports. */
  readonly diagnostics: DiagnosticLogger;
  /** Least time between two loss warnings while losses go on, in ms (the export interval). */
  readonly reportIntervalMillis: number;
  /** The clock, in ms. Default `Date.now`. */
  readonly now?: () => number;
}

const SIGNALS: readonly OtlpSignal[] = ['logs', 'traces', 'metrics'];
const ITEMS: Record<OtlpSignal, string> = {
  logs: 'log records',
  traces: 'spans',
  metrics: 'metric points',
};

const zero = (): SignalCounts => ({ delivered: 0, queueFull: 0, exportFailed: 0 });
const perSignal = (): Record<OtlpSignal, SignalCounts> => ({
  logs: zero(),
  traces: zero(),
  metrics: zero(),
});

export class OtlpDeliveryLedger {
  private readonly totals = perSignal();
  /** Losses not yet in a warning. */
  private unreported = perSignal();
  private readonly now: () => number;
  private lastReport = Number.NEGATIVE_INFINITY;
  /** The latest export failure, for the next warning. */
  private cause: string | undefined;
  /** The last export failed: the receiver is down or refusing. */
  private failing = false;
  private closed = false;
  /** Log records and spans handed to the batch processors; metric points in exports under way. */
  private readonly entered: Record<OtlpSignal, number> = { logs: 0, traces: 0, metrics: 0 };
  private readonly inFlight: Record<OtlpSignal, number> = { logs: 0, traces: 0, metrics: 0 };

  constructor(private readonly options: OtlpDeliveryLedgerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts so far, per signal (a copy). */
  counts(): Record<OtlpSignal, SignalCounts> {
    return {
      logs: { ...this.totals.logs },
      traces: { ...this.totals.traces },
      metrics: { ...this.totals.metrics },
    };
  }

  /** A log record or span was handed to its batch processor (metric points enter by exporting). */
  enter(signal: 'logs' | 'traces'): void {
    this.entered[signal]++;
  }

  /** An export of `count` items of `signal` started; `settled` is called once it ends. */
  exporting(signal: OtlpSignal, count: number): () => void {
    this.inFlight[signal] += count;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight[signal] -= count;
    };
  }

  /**
   * The run stops waiting (finish() reached flush_timeout): what is still queued or in flight is
   * counted as lost now, exactly, and the totals are told; what happens later is not counted.
   */
  abandon(): void {
    if (this.closed) return;
    for (const signal of SIGNALS) {
      const { delivered, queueFull, exportFailed } = this.totals[signal];
      const held =
        signal === 'metrics'
          ? this.inFlight.metrics
          : Math.max(this.entered[signal] - delivered - queueFull - exportFailed, 0);
      if (held > 0) this.totals[signal].exportFailed += held;
    }
    this.cause = `finish() stopped waiting at flush_timeout${this.cause ? `; ${this.cause}` : ''}`;
    this.close();
  }

  /** `count` items of `signal` reached the receiver. */
  delivered(signal: OtlpSignal, count: number): void {
    if (this.closed) return;
    this.totals[signal].delivered += count;
    if (this.failing) {
      this.failing = false;
      const lost = this.describe(this.unreported);
      if (lost) this.warn(`otlp: delivery resumed; lost since the last report: ${lost}`);
      else this.options.diagnostics.info('otlp: delivery resumed');
      this.unreported = perSignal();
      this.lastReport = this.now();
    } else {
      this.reportIfDue();
    }
  }

  /** `count` items of `signal` are lost; `cause` says why an export failed. */
  lost(signal: OtlpSignal, reason: LossReason, count: number, cause?: string): void {
    if (count <= 0 || this.closed) return;
    const field = reason === 'queue_full' ? 'queueFull' : 'exportFailed';
    this.totals[signal][field] += count;
    this.unreported[signal][field] += count;
    if (reason === 'export_failed') {
      this.failing = true;
      if (cause) this.cause = cause;
    }
    this.reportIfDue();
  }

  /** The run's totals, once: a warning when anything was lost. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const lost = this.describe(this.totals);
    const delivered = SIGNALS.map((s) => `${this.totals[s].delivered} ${ITEMS[s]}`).join(', ');
    if (lost) this.warn(`otlp: over the run, lost ${lost}; delivered ${delivered}`);
    else this.options.diagnostics.info(`otlp: delivered everything: ${delivered}`);
  }

  private reportIfDue(): void {
    const lost = this.describe(this.unreported);
    if (!lost || this.now() - this.lastReport < this.options.reportIntervalMillis) return;
    const first = this.lastReport === Number.NEGATIVE_INFINITY;
    const seconds = Math.round(this.options.reportIntervalMillis / 1000);
    this.warn(
      `otlp: lost ${lost}${first ? '' : ' since the last report'}` +
        (first ? `; further losses are reported at most every ${seconds} s` : ''),
    );
    this.unreported = perSignal();
    this.lastReport = this.now();
  }

  private warn(message: string): void {
    const cause = this.cause ? ` (last export error: ${this.cause})` : '';
    this.options.diagnostics.warning(`${message}${cause}`);
  }

  /** `12 log records (2 dropped by a full queue, 10 in failed exports), 3 spans (...)`, or ''. */
  private describe(counts: Record<OtlpSignal, SignalCounts>): string {
    return SIGNALS.filter((s) => counts[s].queueFull + counts[s].exportFailed > 0)
      .map((s) => {
        const { queueFull, exportFailed } = counts[s];
        const why = [
          ...(queueFull ? [`${queueFull} dropped by a full queue`] : []),
          ...(exportFailed ? [`${exportFailed} in failed exports`] : []),
        ];
        return `${queueFull + exportFailed} ${ITEMS[s]} (${why.join(', ')})`;
      })
      .join(', ');
  }
}
