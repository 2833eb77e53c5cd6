/**
 * The bridge's core, without HTTP: decoded OTLP exports in, routed by resource to one `BridgeRun`
 * per run and rank, whose backends (TensorBoard, W&B, console) are built through the registry as
 * a training process would build them. Runs close (flush, close files) shortly after their
 * `jepa.run.end` event, after an idle timeout, and on shutdown; a later request reopens them.
 */
import type { GlobalConfig } from '../config/schema.js';
import type { DiagnosticLogger } from '../diagnostics.js';
import type { Environment } from '../environment.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import type { BackendContext } from '../loggers/telemetry-logger.js';
import { BridgeRun, newTally, type Tally } from './bridge-run.js';
import { metricRows } from './metric-rows.js';
import type { OtlpLogRecord, OtlpMetric, OtlpSpan, ResourceItems } from './otlp-model.js';
import { identityOf, runKeyOf } from './resource-identity.js';

export interface BridgeOptions {
  /** Builds the backends of a run the bridge has not seen before (or has closed since). */
  readonly createBackends: (context: BackendContext) => readonly TelemetryBackend[];
  /** The global settings the backends get (`BackendContext.settings`). */
  readonly settings: GlobalConfig;
  readonly diagnostics: DiagnosticLogger;
  /** Environment the backends read their variables from. Default `process.env`. */
  readonly env?: Environment;
  /**
   * A run without requests for this long is closed (its process crashed, or pauses); its next
   * request reopens it with new backends. Default 30 min.
   */
  readonly idleTimeoutMs?: number;
  /**
   * How long a run stays open after its `jepa.run.end` event, for the exports a finishing
   * process sends last (its final metrics). Default 10 s.
   */
  readonly endGraceMs?: number;
}

/** What one export request came to. `rejected` > 0 makes an OTLP partial-success response. */
export interface ExportOutcome {
  readonly rejected: number;
  readonly errorMessage?: string;
}

/** Counters since the bridge started. */
export interface BridgeStats {
  openRuns: number;
  runsOpened: number;
  logRecords: number;
  /** Training events by name (`jepa.metrics`, ...), rows made from metrics included. */
  events: Record<string, number>;
  metricPoints: number;
  /** Points no training backend takes: exponential histograms, summaries. */
  skippedPoints: number;
  spans: number;
  /** Spans whose status is error. */
  failedSpans: number;
  rejected: number;
  /**
   * Training events handed to the backends per process: by run id, then rank, then event name
   * (`byRun['ab12cd34']['3']['jepa.metrics']`), so a load test can match every rank's rows.
   */
  byRun: Record<string, Record<string, Record<string, number>>>;
}

/** OTLP `Status.code` of a failed span. */
const SPAN_ERROR = 2;

export class Bridge {
  private readonly runs = new Map<string, BridgeRun>();
  private readonly closing = new Set<Promise<void>>();
  private readonly idleTimeoutMs: number;
  private readonly endGraceMs: number;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly counters: BridgeStats = {
    openRuns: 0,
    runsOpened: 0,
    logRecords: 0,
    events: {},
    metricPoints: 0,
    skippedPoints: 0,
    spans: 0,
    failedSpans: 0,
    rejected: 0,
    byRun: {},
  };
  private stopped = false;

  constructor(private readonly options: BridgeOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 1_800_000;
    this.endGraceMs = options.endGraceMs ?? 10_000;
    this.idleTimer = setInterval(
      () => this.closeIdle(),
      Math.max(50, Math.min(this.idleTimeoutMs, this.endGraceMs, 120_000) / 2),
    );
    this.idleTimer.unref();
  }

  get stats(): BridgeStats {
    return {
      ...this.counters,
      openRuns: this.runs.size,
      events: { ...this.counters.events },
      byRun: structuredClone(this.counters.byRun),
    };
  }

  exportLogs(resources: readonly ResourceItems<OtlpLogRecord>[]): ExportOutcome {
    const tally = newTally();
    for (const { resource, scopes } of resources) {
      const run = this.runFor(resource);
      this.countPerRun(run, tally, () => run.writeLogs(scopes, tally));
      for (const { items } of scopes) this.counters.logRecords += items.length;
    }
    return this.settle(tally);
  }

  exportMetrics(resources: readonly ResourceItems<OtlpMetric>[]): ExportOutcome {
    const tally = newTally();
    for (const { resource, scopes } of resources) {
      const rows = metricRows(scopes);
      this.counters.skippedPoints += rows.skippedPoints;
      for (const { items } of scopes) {
        for (const metric of items) {
          this.counters.metricPoints +=
            metric.kind === 'unsupported' ? metric.pointCount : metric.points.length;
        }
      }
      // Our own instruments make no rows (theirs come as events): they open no run, so the last
      // export of a finished run does not reopen it.
      if (rows.rows.length > 0) {
        const run = this.runFor(resource);
        this.countPerRun(run, tally, () => run.writeRows(rows, tally));
      } else this.runs.get(runKeyOf(identityOf(resource)))?.noteStep(rows.latestStep);
    }
    return this.settle(tally);
  }

  /** Spans are counted, not written: training backends have no place for them. */
  exportTraces(resources: readonly ResourceItems<OtlpSpan>[]): ExportOutcome {
    for (const { scopes } of resources) {
      for (const { items } of scopes) {
        this.counters.spans += items.length;
        this.counters.failedSpans += items.filter((span) => span.statusCode === SPAN_ERROR).length;
      }
    }
    return { rejected: 0 };
  }

  /** Flushes every open run's backends. */
  async flush(): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.flush()));
  }

  /** Closes the runs idle for the idle timeout, and the ended ones idle for the end grace. */
  closeIdle(now = Date.now()): void {
    for (const run of this.runs.values()) {
      const timeout = run.ended ? this.endGraceMs : this.idleTimeoutMs;
      if (now - run.lastActivity >= timeout) this.close(run);
    }
  }

  /** Closes every run (flushing its backends); later requests are refused. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.idleTimer);
    for (const run of this.runs.values()) this.close(run);
    await Promise.all(this.closing);
  }

  private runFor(resource: ResourceItems<unknown>['resource']): BridgeRun {
    if (this.stopped) throw new Error('the bridge is shutting down');
    const identity = identityOf(resource);
    const key = runKeyOf(identity);
    let run = this.runs.get(key);
    if (!run) {
      const { settings, diagnostics } = this.options;
      const context: BackendContext = {
        identity,
        settings,
        diagnostics,
        env: this.options.env ?? process.env,
      };
      run = new BridgeRun({
        identity,
        resource,
        backends: this.options.createBackends(context),
        diagnostics,
      });
      this.runs.set(key, run);
      this.counters.runsOpened++;
    }
    return run;
  }

  private close(run: BridgeRun): void {
    const key = runKeyOf(run.identity);
    if (this.runs.get(key) === run) this.runs.delete(key);
    const closing = run.close().catch((error: unknown) => {
      this.options.diagnostics.warning(
        `bridge: closing run ${run.identity.id} rank ${run.identity.rank} failed: ${String(error)}`,
      );
    });
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }

  /** Adds the events `write` adds to the request's tally to `run`'s own counters too. */
  private countPerRun(run: BridgeRun, tally: Tally, write: () => void): void {
    const before = { ...tally.events };
    write();
    const { id, rank } = run.identity;
    const ranks = this.counters.byRun[id] ?? {};
    this.counters.byRun[id] = ranks;
    const counts = ranks[String(rank)] ?? {};
    ranks[String(rank)] = counts;
    for (const [name, count] of Object.entries(tally.events)) {
      const added = count - (before[name] ?? 0);
      if (added > 0) counts[name] = (counts[name] ?? 0) + added;
    }
  }

  /** Adds a request's tally to the counters; the outcome for its response. */
  private settle(tally: Tally): ExportOutcome {
    this.counters.rejected += tally.rejected;
    for (const [name, count] of Object.entries(tally.events)) {
      this.counters.events[name] = (this.counters.events[name] ?? 0) + count;
    }
    return tally.rejected === 0
      ? { rejected: 0 }
      : { rejected: tally.rejected, errorMessage: tally.reason };
  }
}
