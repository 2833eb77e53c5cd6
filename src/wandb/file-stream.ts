/**
 * The run's file_stream: history lines from the spool and the summary, batched into at most one
 * data request per interval (each under the size limit), an empty heartbeat when there was
 * nothing to send for a while, and at the end the `complete` request with the exit code.
 *
 * Exactly once: line `i` of the spool is always sent at offset `startOffset + i`, the cursor moves
 * only after the server took a request, and a request is retried until it is taken. A request the
 * server took but whose answer was lost is sent again at the same offsets, which W&B treats as a
 * rewrite of the same lines, not as new ones. So every row reaches the server, in order, once.
 */

import { HistorySpool, type SpoolCursor } from './history-spool.js';
import type { RetryControl, RetryEvent, WandbHttp } from './http-client.js';

export const HISTORY_FILE = 'wandb-history.jsonl';
export const SUMMARY_FILE = 'wandb-summary.json';
/** System metrics, one JSON line per sample (W&B's System panel). */
export const EVENTS_FILE = 'wandb-events.jsonl';
/** The console output, one line per line printed (W&B's Logs tab). */
export const OUTPUT_FILE = 'output.log';

/**
 * Lines of a file streamed beside the history (system metrics, console output): few and small,
 * so they wait in memory. Line `i` goes at offset `i`, once the server took it.
 */
export class LineQueue {
  /** Offset of the first pending line: lines the server has taken. */
  offset = 0;
  readonly pending: string[] = [];

  append(line: string): void {
    this.pending.push(line);
  }
}

/** W&B's limit is about 10 MiB; the margin covers the envelope. */
export const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024 - 64 * 1024;

export interface FileStreamOptions {
  readonly http: WandbHttp;
  /** `/files/<entity>/<project>/<run id>/file_stream`. */
  readonly path: string;
  readonly spool: HistorySpool;
  /** Where the server's history ends (its `historyLineCount`; 0 for a new run). */
  readonly startOffset: number;
  /** The whole summary as JSON, as it is now. */
  readonly summary: () => string;
  /** Time between data requests, in ms (W&B's 15000). */
  readonly intervalMs: number;
  /** An empty request after this long without one, in ms (W&B's 30000). */
  readonly heartbeatMs: number;
  /** Default `DEFAULT_MAX_REQUEST_BYTES`. */
  readonly maxRequestBytes?: number;
  /** Other files streamed line by line, by file name (`EVENTS_FILE`, `OUTPUT_FILE`). */
  readonly lineFiles?: Readonly<Record<string, LineQueue>>;
  /** Before each wait to retry. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** After a request went through that had to be retried. */
  readonly onRecovered?: () => void;
  /** The server answered `stopped: true` (the run was stopped from the UI). */
  readonly onStopped?: () => void;
}

export interface FinishResult {
  /** True when the final request went through. */
  readonly complete: boolean;
  /** History lines the server did not get (they stay in the spool and the run's `.wandb`). */
  readonly unsentLines: number;
  readonly error?: Error;
}

export class FileStream {
  private cursor: SpoolCursor = { line: 0, byte: 0 };
  private sentSummary: string | undefined;
  private lastRequestAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private abort = new AbortController();
  private stopped = false;
  private stopNoticed = false;
  private failure: Error | undefined;
  /** Unix ms before which the server asked not to be sent to again (a retry wait). */
  private notBefore = 0;

  constructor(private readonly options: FileStreamOptions) {}

  /** The error that stopped the stream (a request W&B refused for good), if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  start(): void {
    this.schedule();
  }

  /** Stops the timer and the request in flight (its lines will be sent again). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.inFlight;
    this.abort = new AbortController();
  }

  /**
   * Sends every line and the summary, then the final request with `exitCode` and the names of
   * the run files uploaded; gives up at `deadline` (unix ms). Call after `stop()`.
   */
  async finish(
    exitCode: number,
    uploaded: readonly string[],
    deadline: number,
  ): Promise<FinishResult> {
    const control: RetryControl = {
      deadline,
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      keepAlive: true,
      onRetry: this.options.onRetry,
    };
    try {
      if (this.failure) throw this.failure;
      // stop() cut a retry wait short; the server's Retry-After (or the backoff) still holds.
      await sleepUntil(Math.min(this.notBefore, deadline));
      while (this.cursor.line < this.options.spool.lineCount || this.linesPending()) {
        await this.sendData(control);
      }
      const summary = this.options.summary();
      await this.post(
        {
          ...(summary !== this.sentSummary
            ? { files: { [SUMMARY_FILE]: { offset: 0, content: [summary] } } }
            : {}),
          uploaded,
          complete: true,
          exitcode: exitCode,
        },
        'file_stream (final)',
        control,
      );
      return { complete: true, unsentLines: 0 };
    } catch (error) {
      return {
        complete: false,
        unsentLines: this.options.spool.lineCount - this.cursor.line,
        error: error as Error,
      };
    }
  }

  private schedule(): void {
    if (this.stopped || this.failure) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.sendDue().finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async sendDue(): Promise<void> {
    const control: RetryControl = { signal: this.abort.signal, onRetry: this.options.onRetry };
    try {
      if (
        this.cursor.line < this.options.spool.lineCount ||
        this.linesPending() ||
        this.options.summary() !== this.sentSummary
      ) {
        await this.sendData(control);
      } else if (Date.now() - this.lastRequestAt >= this.options.heartbeatMs) {
        await this.post({}, 'file_stream (heartbeat)', control);
      }
    } catch (error) {
      // Cancelled by stop(): the lines stay and finish() sends them.
      if (!this.abort.signal.aborted) this.failure = error as Error;
    }
  }

  /** One data request: as many lines from the cursor as fit, and the summary if it changed. */
  private async sendData(control: RetryControl): Promise<void> {
    const summary = this.options.summary();
    const summaryPart = summary !== this.sentSummary ? summary : undefined;
    const envelope = 256 + (summaryPart ? Buffer.byteLength(JSON.stringify(summaryPart)) : 0);
    let budget = (this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES) - envelope;
    const lines = fitting(this.options.spool.read(this.cursor, budget), budget);
    const files: Record<string, { offset: number; content: string[] }> = {};
    if (lines.length > 0) {
      files[HISTORY_FILE] = { offset: this.options.startOffset + this.cursor.line, content: lines };
      budget -= bytesOf(lines);
    }
    const sent: [LineQueue, number][] = [];
    for (const [name, queue] of Object.entries(this.options.lineFiles ?? {})) {
      // History first: these lines wait for the next request when it filled this one.
      const content = budget > 0 ? fitting(queue.pending, budget) : [];
      if (content.length === 0) continue;
      files[name] = { offset: queue.offset, content };
      budget -= bytesOf(content);
      sent.push([queue, content.length]);
    }
    if (summaryPart !== undefined) files[SUMMARY_FILE] = { offset: 0, content: [summaryPart] };
    await this.post({ files }, 'file_stream', control);
    this.cursor = HistorySpool.advance(this.cursor, lines);
    for (const [queue, count] of sent) {
      queue.pending.splice(0, count);
      queue.offset += count;
    }
    if (summaryPart !== undefined) this.sentSummary = summaryPart;
  }

  private linesPending(): boolean {
    return Object.values(this.options.lineFiles ?? {}).some((queue) => queue.pending.length > 0);
  }

  private async post(body: object, what: string, control: RetryControl): Promise<void> {
    let retried = false;
    const response = await this.options.http.send(
      {
        method: 'POST',
        url: this.options.path,
        what,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      {
        ...control,
        onRetry: (event) => {
          retried = true;
          this.notBefore = Date.now() + event.delayMs;
          control.onRetry?.(event);
        },
      },
    );
    this.lastRequestAt = Date.now();
    if (retried) this.options.onRecovered?.();
    if (!this.stopNoticed && /"stopped"\s*:\s*true/.test(response.body)) {
      this.stopNoticed = true;
      this.options.onStopped?.();
    }
  }
}

function sleepUntil(time: number): Promise<void> {
  const ms = time - Date.now();
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** The leading lines whose JSON-escaped size fits `budget` bytes (at least one). */
function fitting(lines: readonly string[], budget: number): string[] {
  let used = 0;
  let count = 0;
  for (const line of lines) {
    used += lineBytes(line);
    if (used > budget && count > 0) break;
    count += 1;
  }
  return lines.slice(0, count);
}

function bytesOf(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + lineBytes(line), 0);
}

/** A line's size in the request: JSON-escaped, with its comma. */
function lineBytes(line: string): number {
  return Buffer.byteLength(JSON.stringify(line)) + 1;
}
