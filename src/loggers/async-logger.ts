/**
 * AsyncLogger (the Python API's `async_logger` module): logging calls that return at once,
 * whatever the backends do.
 *
 * Built from configuration (a backend by name with its section's keys, createLogger's dict form
 * under `backends`, or a YAML file under `config`), its backends run in a `worker_threads`
 * worker, built there from the same configuration: a call writes a row of numbers into a shared
 * ring (a few dozen bytes, its keys interned once) or, for anything else, posts it with a
 * marker in the ring, and returns (see `async/worker-logger.ts`). A full ring makes the call
 * wait for the worker to make room, at most `flush_timeout` (`on_full: 'block'`, the default);
 * only then are calls dropped, counted and reported. The worker flushes its backends every
 * `flush_interval`; a worker that dies is reported once, its loss counted, and a fresh one takes
 * over the ring. Console lines are written by the worker straight to the process's descriptor,
 * one whole line per write: in time order with the process's own output, within a few
 * milliseconds of the call (`await logger.flush()` before printing puts them before it). See
 * docs/async-logger.md.
 *
 * Given a logger instance (`base_logger: logger`), or a configuration that cannot move (a
 * console stream without a file descriptor, a custom backend without `worker_modules`, or
 * `worker: false`), the backends stay on the calling thread: a call puts a reference to its
 * arguments into a ring of `buffer_size` slots, handed to the backend every `flush_interval`
 * seconds in slices of a few milliseconds, and a call that finds the ring full hands it over on
 * the spot (`on_full: 'block'`), so a loop that never yields loses nothing. Only a backend still
 * taking an earlier call (its promise has not settled) cannot make room; then new calls are
 * dropped. There, rows are kept by reference until handed over: do not change an object after
 * logging it; backend timestamps are those of the hand-over.
 *
 * Either way, drops are counted (`stats`) and reported as warnings every `flush_interval` and at
 * `finish()`, which delivers what is left within `flush_timeout` seconds and counts what it
 * could not deliver as dropped. Decorator spans and OTel instruments stay on the calling thread.
 */
import type { Counter } from '@opentelemetry/api';
import { describe, seconds } from '../config/sections/common.js';
import * as z from '../config/zod.js';
import { OnceWarner, stderrDiagnostics } from '../diagnostics.js';
import type { HistogramInput, ImageInput } from '../events/media.js';
import { within } from '../telemetry/deadline.js';
import { trackRun, untrackRun } from '../telemetry/lifecycle.js';
import type { FinishOptions } from '../telemetry/training-run.js';
import { asyncBackends } from './async/async-backends.js';
import { CallOp, replayCall } from './async/calls.js';
import type { WorkerLogger } from './async/worker-logger.js';
import type { BaseLogger, LoggerConfig, Metrics } from './base-logger.js';
import {
  LoggerWrapper,
  type LoggerWrapperOptions,
  parseWrapperOptions,
  runOf,
  unwrap,
} from './logger-wrapper.js';
import { TelemetryLogger } from './telemetry-logger.js';

/** How long one slice of a hand-over may hold the event loop. */
const SLICE_MS = 4;
const DEFAULT_FLUSH_TIMEOUT_MS = 10_000;

const OWN_KEYS = [
  'buffer_size',
  'flush_interval',
  'flush_timeout',
  'on_full',
  'worker',
  'worker_modules',
] as const;
const optionsSchema = z.object({
  buffer_size: describe(
    z._default(z.int().check(z.gte(1), z.lte(10_000_000)), 1000),
    'Calls kept until the backend takes them; more are dropped and counted',
  ),
  flush_interval: describe(
    z._default(seconds(), 30),
    'Seconds between hand-overs to the backend (and drop reports)',
  ),
  flush_timeout: describe(
    z.optional(seconds()),
    "Seconds finish() may spend handing over what is left; default the backend's flush_timeout, else 10",
  ),
  on_full: describe(
    z._default(z.enum(['block', 'drop']), 'block'),
    'A full buffer: wait for room, at most flush_timeout (block), or drop new calls (drop)',
  ),
  worker: describe(
    z._default(z.boolean(), true),
    'Run backends built from configuration in a worker thread',
  ),
  worker_modules: describe(
    z._default(z.array(z.string()), []),
    'Modules the worker imports first: they register custom backends',
  ),
});

/** Where the calls stand. */
export interface AsyncLoggerStats {
  /** In the ring, not yet handed over. */
  readonly buffered: number;
  /** Handed to the backend. */
  readonly delivered: number;
  /** Not kept: the ring was full. */
  readonly dropped: number;
  /** Handed over, but the backend threw or rejected. */
  readonly failed: number;
  /** Taken by a backend worker that died before writing them, or logged with no worker left. */
  readonly lost: number;
}

export class AsyncLogger extends LoggerWrapper {
  readonly bufferSize: number;
  /** Seconds between hand-overs. */
  readonly flushInterval: number;
  /** What a call that finds the ring full does. */
  readonly onFull: 'block' | 'drop';
  private readonly flushTimeoutMs: number;
  // The ring: one slot per call, in parallel arrays so that a call allocates nothing.
  private readonly ops: Uint8Array;
  private readonly firsts: unknown[];
  private readonly seconds: unknown[];
  private readonly steps: Float64Array;
  private head = 0;
  private count = 0;
  private delivered = 0;
  private dropped = 0;
  private failed = 0;
  private droppedReported = 0;
  private drainRequested = false;
  /** The oldest call was handed over and the backend is still taking it (its slot is kept). */
  private headPending: Promise<void> | undefined;
  private draining: Promise<void> | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly warner: OnceWarner;
  private readonly droppedCounters: Counter[] = [];
  private finishing: Promise<void> | undefined;
  /** The backends' worker, when they run in one. */
  private readonly worker: WorkerLogger | undefined;

  /**
   * @param config `buffer_size` (default 1000), `flush_interval` in seconds (default 30), and
   *   what to log to: `backend`, a registered backend name (default `console`) configured by
   *   the other keys (`{backend: 'wandb', project: 'p', buffer_size: 1000}`); `backends`, the
   *   dict form of createLogger (`{backends: ['console', 'tensorboard'], tensorboard: {...}}`);
   *   `config`, a YAML file's path; or `base_logger`, a logger (it stays on the calling
   *   thread). Also `flush_timeout`, `on_full`, `worker` and `worker_modules`.
   */
  constructor(config: LoggerConfig = {}, options: LoggerWrapperOptions = {}) {
    const own = parseWrapperOptions('AsyncLogger', optionsSchema, {
      buffer_size: config.buffer_size,
      flush_interval: config.flush_interval,
      flush_timeout: config.flush_timeout,
      on_full: config.on_full,
      worker: config.worker,
      worker_modules: config.worker_modules,
    });
    const diagnostics = options.diagnostics ?? stderrDiagnostics();
    const { base, worker, ignored } = asyncBackends(
      'AsyncLogger',
      config,
      OWN_KEYS,
      {
        worker: own.worker,
        modules: own.worker_modules,
        bufferSize: own.buffer_size,
        flushIntervalMs: own.flush_interval * 1000,
        flushTimeoutMs: (own.flush_timeout ?? DEFAULT_FLUSH_TIMEOUT_MS / 1000) * 1000,
        onFull: own.on_full,
      },
      diagnostics,
    );
    super(config, base, { ...options, diagnostics });
    this.worker = worker;
    if (ignored.length > 0) {
      this.logger.warning(
        `AsyncLogger: ${ignored.join(', ')} ignored (they configure a backend given by name)`,
      );
    }
    this.bufferSize = own.buffer_size;
    this.flushInterval = own.flush_interval;
    this.onFull = own.on_full;
    const owner = unwrap(base);
    this.flushTimeoutMs =
      (own.flush_timeout ??
        (owner instanceof TelemetryLogger ? owner.settings.flush_timeout : undefined) ??
        DEFAULT_FLUSH_TIMEOUT_MS / 1000) * 1000;
    // The calling-thread ring (none when a worker has the backends).
    const slots = worker ? 0 : this.bufferSize;
    this.ops = new Uint8Array(slots);
    this.firsts = new Array(slots);
    this.seconds = new Array(slots);
    this.steps = new Float64Array(slots);
    this.warner = new OnceWarner(this.logger);
    runOf(base)?.meters.each((meter) =>
      this.droppedCounters.push(
        meter.createCounter('jepa.async_logger.dropped', {
          unit: '{call}',
          description: 'logging calls an AsyncLogger dropped: its buffer was full',
        }),
      ),
    );
    this.timer = setInterval(() => this.tick(), this.flushInterval * 1000);
    this.timer.unref();
    this.takeOverExitHooks(base);
  }

  /** Where the calls stand: buffered, delivered, dropped, failed and lost counts. */
  get stats(): AsyncLoggerStats {
    if (this.worker) return this.worker.stats;
    return {
      buffered: this.count,
      delivered: this.delivered,
      dropped: this.dropped,
      failed: this.failed,
      lost: 0,
    };
  }

  /** Whether the backends run in a worker thread (see the class's documentation). */
  get inWorker(): boolean {
    return this.worker !== undefined;
  }

  protected override writeMetrics(metrics: Metrics, step?: number): void {
    this.push(CallOp.Metrics, metrics, undefined, step);
  }

  protected override writeAtCurrentStep(values: Readonly<Record<string, number>>): void {
    this.push(CallOp.AtCurrentStep, values, undefined, undefined);
  }

  protected override writeHistogram(tag: string, values: HistogramInput, step?: number): void {
    this.push(CallOp.Histogram, tag, values, step);
  }

  protected override writeImage(tag: string, images: ImageInput, step?: number): void {
    this.push(CallOp.Image, tag, images, step);
  }

  protected override writeText(tag: string, text: string, step?: number): void {
    this.push(CallOp.Text, tag, text, step);
  }

  protected override writeHyperparams(
    hparams: Readonly<Record<string, unknown>>,
    metrics?: Metrics,
  ): void {
    this.push(CallOp.Hyperparams, hparams, metrics, undefined);
  }

  /** Hands everything buffered to the backend and flushes it. */
  protected override async onFlush(): Promise<void> {
    this.drainRequested = true;
    await this.drain();
  }

  /**
   * At process exit (`process.exit()` skips every asynchronous path): hands everything buffered
   * to the backend at once and has it write what it can synchronously.
   */
  protected override onFlushSync(end?: FinishOptions): void {
    // A call the backend is still taking was delivered already.
    if (this.headPending) {
      this.headPending = undefined;
      this.release();
    }
    while (this.count > 0) {
      void this.deliver(this.head);
      this.release();
    }
    super.onFlushSync(end);
  }

  /**
   * Hands everything left to the backend, reports drops, and finishes the backend, within
   * `flush_timeout` seconds in all: what the backend has not taken by then is counted as dropped
   * and reported. Idempotent.
   */
  protected override onFinish(options: FinishOptions): Promise<void> {
    if (this.worker) {
      this.finishing ??= this.finishWorker(this.worker, options);
      return this.finishing;
    }
    this.finishing ??= (async () => {
      clearInterval(this.timer);
      untrackRun(this);
      const deadline = performance.now() + this.flushTimeoutMs;
      const handedOver = await within(this.flush(), this.flushTimeoutMs);
      if (!handedOver) {
        // The call the backend is still taking was delivered; the rest never will be.
        const left = this.count - (this.headPending ? 1 : 0);
        this.dropped += left;
        this.headPending = undefined;
        while (this.count > 0) this.release();
        this.logger.warning(
          `AsyncLogger: finish() stopped waiting after flush_timeout (${this.flushTimeoutMs / 1000} s): ` +
            `the backend had not taken ${left} logging calls; they are counted as dropped`,
        );
      }
      this.reportDrops(true);
      const finished = await within(
        this.base.finish(options),
        Math.max(0, deadline - performance.now()),
      );
      if (!finished) {
        this.logger.warning(
          `AsyncLogger: the backend did not finish within flush_timeout (${this.flushTimeoutMs / 1000} s)`,
        );
      }
    })();
    return this.finishing;
  }

  /** The worker delivers what is left and finishes its backends, within flush_timeout. */
  private async finishWorker(worker: WorkerLogger, options: FinishOptions): Promise<void> {
    clearInterval(this.timer);
    untrackRun(this);
    await worker.finish(options);
    if (worker.undeliveredAtFinish > 0) {
      this.logger.warning(
        `AsyncLogger: finish() stopped waiting after flush_timeout (${this.flushTimeoutMs / 1000} s): ` +
          `the backend had not taken ${worker.undeliveredAtFinish} logging calls; they are counted as dropped`,
      );
    }
    this.reportDrops(true);
  }

  private push(op: CallOp, first: unknown, second: unknown, step: number | undefined): void {
    if (this.finishing) {
      this.warner.warn('finished', 'AsyncLogger: a logging call after finish() was ignored');
      return;
    }
    if (this.worker) {
      this.worker.write(op, first, second, step);
      return;
    }
    if (this.count === this.bufferSize) {
      if (this.onFull === 'block') this.handOverInline();
      if (this.count === this.bufferSize) {
        this.dropped++;
        return;
      }
    }
    const slot = (this.head + this.count) % this.bufferSize;
    this.ops[slot] = op;
    this.firsts[slot] = first;
    this.seconds[slot] = second;
    this.steps[slot] = step ?? Number.NaN;
    this.count++;
    // A loop that yields gets the ring handed over on the next turn, before it is full again.
    if (this.count === this.bufferSize) this.requestDrain();
  }

  /** Hands the ring over now, on the calling thread, as far as the backend takes calls at once. */
  private handOverInline(): void {
    while (this.count > 0 && !this.headPending) this.deliverHead();
  }

  private requestDrain(): void {
    this.drainRequested = true;
    if (this.draining || this.scheduled) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      void this.drain();
    });
    this.scheduled.unref();
  }

  private tick(): void {
    this.reportDrops(false);
    // A worker flushes its backends on its own timer.
    if (!this.worker) this.requestDrain();
  }

  /** Runs hand-overs until none is requested; one at a time. */
  private drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        while (this.drainRequested) {
          this.drainRequested = false;
          await this.handOver();
          await this.flushBase();
        }
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  /** Hands over the ring, oldest first, yielding to the event loop between slices. */
  private async handOver(): Promise<void> {
    while (this.count > 0) {
      if (this.headPending) {
        await this.headPending;
        continue;
      }
      const sliceEnd = performance.now() + SLICE_MS;
      while (this.count > 0 && !this.headPending && performance.now() < sliceEnd) {
        this.deliverHead();
      }
      if (this.count > 0 && !this.headPending) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /**
   * Hands the oldest call to the backend. Its slot is freed once the backend has taken it (at
   * once, or when the promise its call returned settles): memory stays bounded.
   */
  private deliverHead(): void {
    const pending = this.deliver(this.head);
    if (!pending) {
      this.release();
      return;
    }
    const settled: Promise<void> = pending.then(() => {
      // Not when the exit path has already freed it (see flushSync).
      if (this.headPending !== settled) return;
      this.headPending = undefined;
      this.release();
    });
    this.headPending = settled;
  }

  /** Calls the backend with slot `i`; a promise when the backend returned one. */
  private deliver(i: number): Promise<void> | undefined {
    const first = this.firsts[i];
    const second = this.seconds[i];
    const step = Number.isNaN(this.steps[i]!) ? undefined : this.steps[i];
    try {
      const result = replayCall(this.base, this.ops[i] as CallOp, first, second, step);
      this.delivered++;
      // A ported custom logger may do its I/O in an async logMetrics: wait for it.
      if (isPromise(result)) return result.then(undefined, (error) => this.onFailure(error));
    } catch (error) {
      this.onFailure(error);
    }
    return undefined;
  }

  private release(): void {
    this.firsts[this.head] = undefined;
    this.seconds[this.head] = undefined;
    this.head = (this.head + 1) % this.bufferSize;
    this.count--;
  }

  private async flushBase(): Promise<void> {
    try {
      await this.base.flush();
    } catch (error) {
      this.warner.warn('flush', `AsyncLogger: the backend failed to flush: ${String(error)}`);
    }
  }

  private onFailure(error: unknown): void {
    this.failed++;
    this.warner.warn(
      `failed:${String(error)}`,
      `AsyncLogger: the backend failed to take a logging call: ${String(error)}`,
    );
  }

  private reportDrops(final: boolean): void {
    const dropped = this.worker ? this.worker.stats.dropped : this.dropped;
    const fresh = dropped - this.droppedReported;
    if (fresh > 0) {
      this.droppedReported = dropped;
      for (const counter of this.droppedCounters) counter.add(fresh);
      this.logger.warning(
        `AsyncLogger: ${fresh} logging calls dropped ${final ? 'before finish' : `in the last ${this.flushInterval} s`} ` +
          `(buffer of ${this.bufferSize} full: the backend is slower than the logging); ` +
          `${dropped} dropped in all`,
      );
    }
  }

  /**
   * On a signal, a crash or exit, finish this logger (handing over what is buffered) rather than
   * only the backend's run, which would lose the buffer.
   */
  private takeOverExitHooks(base: BaseLogger): void {
    const owner = unwrap(base);
    const settings = owner instanceof TelemetryLogger ? owner.settings : undefined;
    if (owner instanceof TelemetryLogger) untrackRun(owner);
    trackRun(this, {
      // A worker's backends are told nothing of signals: the configuration's key is for this.
      handleSignals: settings?.handle_signals ?? this.config.handle_signals === true,
      flushTimeoutMs: settings ? settings.flush_timeout * 1000 : this.flushTimeoutMs,
    });
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}
