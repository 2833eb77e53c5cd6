/**
 * The calling thread's side of an AsyncLogger whose backends run in a worker: a logger whose
 * calls write into the shared ring (rows of numbers) or go by message with a marker in the ring
 * (everything else), and return. When the ring is full a call waits for room (`Atomics.wait`, at
 * most `flush_timeout`); only when the worker has made none by then are calls dropped, counted
 * and reported, and they keep being dropped at once until the worker makes room again.
 *
 * A worker that dies (an uncaught error in a backend, a `terminate()`) is reported once: the
 * calls it had taken since the backends' latest flush are counted as lost, and a fresh worker
 * takes over the ring where the dead one left it, with the keys defined so far and the
 * messages its markers refer to. After `MAX_RESTARTS` deaths the calls are counted as lost
 * instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { DiagnosticLogger } from '../../diagnostics.js';
import type { HistogramInput, ImageInput } from '../../events/media.js';
import { lazyModule } from '../../lazy-module.js';
import { within } from '../../telemetry/deadline.js';
import type { FinishOptions } from '../../telemetry/training-run.js';
import { type BaseLogger, LoggerFacade, type Metrics } from '../base-logger.js';
import { CallOp, replayCall } from './calls.js';
import type { BuildSpec, FromWorker, MessageCall, ToWorker, WorkerInit } from './protocol.js';
import { allocateRing, Control, RecordOp, RingWriter, WriteResult } from './row-ring.js';

const workerThreads = lazyModule<typeof import('node:worker_threads')>('node:worker_threads');

/** Fresh workers started after deaths before the calls are counted as lost instead. */
const MAX_RESTARTS = 3;

export interface WorkerLoggerOptions {
  readonly build: BuildSpec;
  /** The run on the calling thread for the application's OTel providers (see caller-run.ts). */
  readonly caller?: BaseLogger;
  /** The run id the worker's run takes (the caller's run has it). */
  readonly runId?: string;
  /** Module specifiers the worker imports first (they register custom backends). */
  readonly modules: readonly string[];
  readonly bufferSize: number;
  readonly flushIntervalMs: number;
  readonly flushTimeoutMs: number;
  readonly onFull: 'block' | 'drop';
  readonly diagnostics: DiagnosticLogger;
}

/** Where the calls stand (see AsyncLoggerStats). */
export interface WorkerStats {
  readonly buffered: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly failed: number;
  readonly lost: number;
}

export class WorkerLogger extends LoggerFacade {
  private readonly options: WorkerLoggerOptions;
  private readonly memory: ReturnType<typeof allocateRing>;
  /** The calling thread's run: decorators record spans and call metrics there (see runOf). */
  readonly caller: BaseLogger | undefined;
  private readonly writer: RingWriter;
  private readonly control: Int32Array;
  private worker: Worker;
  private restarts = 0;
  /** No worker any more: calls are counted as lost. */
  private dead = false;
  private closed = false;
  private dropped = 0;
  private lost = 0;
  /** Of `lost`: calls a dead worker had taken (and counted as delivered). */
  private lostTaken = 0;
  /** The worker said it is ready: its backends are built. */
  private ready = false;
  /** The writer gave up waiting at this `read` counter: drop at once until it moves. */
  private stalledAt: number | undefined;
  private seq = 0;
  /** Calls sent by message whose markers the worker may not have read yet (for a fresh worker). */
  private readonly unread = new Map<number, MessageCall>();
  private requests = 0;
  /** Methods whose arguments could not be posted (a function, a symbol): warned once each. */
  private readonly uncloneableWarned = new Set<string>();
  private readonly replies = new Map<number, (error?: string) => void>();
  private finished: (() => void) | undefined;
  private workerFinished = false;
  private finishing: Promise<void> | undefined;

  constructor(options: WorkerLoggerOptions) {
    super({}, options.diagnostics);
    this.options = options;
    this.caller = options.caller;
    this.memory = allocateRing(options.bufferSize);
    this.writer = new RingWriter(this.memory);
    this.control = this.writer.control;
    this.worker = this.start();
  }

  get stats(): WorkerStats {
    const c = this.control;
    return {
      buffered: this.dead ? 0 : this.writer.buffered,
      delivered: (Atomics.load(c, Control.delivered) >>> 0) - this.lostTaken,
      dropped: this.dropped,
      failed: Atomics.load(c, Control.failed) >>> 0,
      lost: this.lost,
    };
  }

  /** The worker now (tests end it to show what a death does). */
  get currentWorker(): Worker {
    return this.worker;
  }

  /** The AsyncLogger's calls, as its own ring gets them: `first`, `second` per method. */
  write(op: CallOp, first: unknown, second: unknown, step: number | undefined): void {
    this.toWorker(op, first, second, step);
    if (this.caller) replayCall(this.caller, op, first, second, step);
  }

  private toWorker(op: CallOp, first: unknown, second: unknown, step: number | undefined): void {
    switch (op) {
      case CallOp.Metrics:
        if (isRow(first) && isStep(step)) {
          this.writeRow(RecordOp.Metrics, first, step);
        } else {
          this.send({ method: 'logMetrics', args: [first, step] });
        }
        return;
      case CallOp.AtCurrentStep:
        if (isRow(first)) this.writeRow(RecordOp.AtCurrentStep, first, undefined);
        else this.send({ method: 'logAtCurrentStep', args: [first] });
        return;
      case CallOp.Histogram:
        this.send({ method: 'logHistogram', args: [first as string, second, step] });
        return;
      case CallOp.Image:
        this.send({ method: 'logImage', args: [first as string, second, step] });
        return;
      case CallOp.Text:
        this.send({ method: 'logText', args: [first as string, second as string, step] });
        return;
      case CallOp.Hyperparams:
        this.send({ method: 'logHyperparams', args: [first, second] });
        return;
    }
  }

  protected writeMetrics(metrics: Metrics, step?: number): void {
    this.write(CallOp.Metrics, metrics, undefined, step);
  }

  protected override writeAtCurrentStep(values: Readonly<Record<string, number>>): void {
    this.write(CallOp.AtCurrentStep, values, undefined, undefined);
  }

  protected override writeHistogram(tag: string, values: HistogramInput, step?: number): void {
    this.write(CallOp.Histogram, tag, values, step);
  }

  protected override writeImage(tag: string, images: ImageInput, step?: number): void {
    this.write(CallOp.Image, tag, images, step);
  }

  protected override writeText(tag: string, text: string, step?: number): void {
    this.write(CallOp.Text, tag, text, step);
  }

  protected override writeHyperparams(
    hparams: Readonly<Record<string, unknown>>,
    metrics?: Metrics,
  ): void {
    this.write(CallOp.Hyperparams, hparams, metrics, undefined);
  }

  protected override writeModel(
    model: string | Uint8Array,
    name: string,
    aliases: readonly string[],
  ): Promise<void> {
    if (this.dead || this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const id = ++this.requests;
      this.replies.set(id, (error) => (error ? reject(new Error(error)) : resolve()));
      this.post({ type: 'model', id, args: [model, name, [...aliases]] });
    });
  }

  /** Resolves once the worker has delivered every call made before it, and flushed. */
  protected override async onFlush(): Promise<void> {
    if (this.dead || this.closed) return;
    const id = ++this.requests;
    const flushed = new Promise<void>((resolve) => this.replies.set(id, () => resolve()));
    this.post({ type: 'flush', id });
    await Promise.all([flushed, this.caller?.flush()]);
  }

  /**
   * At process exit: has the worker deliver everything in the ring and write it synchronously,
   * and waits for it (at most `flush_timeout`).
   */
  protected override onFlushSync(end?: FinishOptions): void {
    this.caller?.flushSync(end);
    if (this.dead || this.closed) return;
    const c = this.control;
    Atomics.store(c, Control.syncExitCode, end?.exitCode ?? -1);
    const requested = Atomics.add(c, Control.syncRequested, 1) + 1;
    Atomics.add(c, Control.doorbell, 1);
    Atomics.notify(c, Control.doorbell);
    const deadline = performance.now() + this.options.flushTimeoutMs;
    for (;;) {
      const done = Atomics.load(c, Control.syncDone);
      if (done === requested) return;
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(c, Control.syncDone, done, left);
    }
  }

  /**
   * Has the worker deliver what is left and finish the backends, within `flush_timeout`; what it
   * has not delivered by then is counted as dropped. Returns the count.
   */
  protected override onFinish(options: FinishOptions): Promise<void> {
    this.finishing ??= this.finishWorker(options);
    return this.finishing;
  }

  /** Calls not delivered when finish() gave up. */
  undeliveredAtFinish = 0;

  private async finishWorker(options: FinishOptions): Promise<void> {
    const caller = this.caller
      ? within(this.caller.finish(options), this.options.flushTimeoutMs)
      : undefined;
    await this.finishBackends(options);
    await caller;
  }

  private async finishBackends(options: FinishOptions): Promise<void> {
    if (this.dead) return;
    const done = new Promise<void>((resolve) => {
      this.finished = resolve;
    });
    this.post({ type: 'finish', options: { exitCode: options.exitCode, status: options.status } });
    this.closed = true;
    const inTime = await within(done, this.options.flushTimeoutMs);
    if (!inTime) {
      const c = this.control;
      const left =
        (this.writer.rowsWrittenCount -
          (Atomics.load(c, Control.delivered) >>> 0) -
          (Atomics.load(c, Control.failed) >>> 0) -
          (this.lost - this.lostTaken)) |
        0;
      this.undeliveredAtFinish = left;
      this.dropped += left;
    }
    await this.stop();
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    this.dead = true;
    await worker.terminate();
  }

  /** A `logMetrics` (`RecordOp.Metrics`) or `logAtCurrentStep` row into the ring. */
  private writeRow(
    op: typeof RecordOp.Metrics | typeof RecordOp.AtCurrentStep,
    row: Readonly<Record<string, unknown>>,
    step: number | undefined,
  ): void {
    if (this.refused()) return;
    for (;;) {
      const result = this.writer.writeRow(op, row, step ?? Number.NaN);
      if (result === WriteResult.Written) return;
      if (result === WriteResult.NotNumbers) {
        this.send(
          op === RecordOp.Metrics
            ? { method: 'logMetrics', args: [row, step] }
            : { method: 'logAtCurrentStep', args: [row] },
        );
        return;
      }
      if (!this.waitForRoom()) {
        this.countUntaken();
        return;
      }
    }
  }

  /** Sends a call by message, with its marker in the ring. */
  private send(call: MessageCall): void {
    if (this.refused()) return;
    const seq = ++this.seq;
    const read = Atomics.load(this.control, Control.messagesRead);
    for (const old of this.unread.keys()) if (old <= read) this.unread.delete(old);
    try {
      this.post({ type: 'call', seq, call });
    } catch (error) {
      this.dropped++;
      if (!this.uncloneableWarned.has(call.method)) {
        this.uncloneableWarned.add(call.method);
        this.logger.warning(
          `AsyncLogger: ${call.method} was not logged: its arguments cannot go to the backend worker ` +
            `(${String(error)}); later such calls are counted in stats.dropped, not shown`,
        );
      }
      return;
    }
    this.unread.set(seq, call);
    while (!this.writer.writeMessageMarker(seq)) {
      if (!this.waitForRoom()) {
        this.unread.delete(seq);
        this.countUntaken();
        return;
      }
    }
    // Media and the like are rare: delivered without waiting for a batch.
    this.writer.ring();
  }

  /**
   * A call the ring had no room for: lost when the worker is gone (a fresh one starts when the
   * event loop turns), else dropped (the backends are too slow).
   */
  private countUntaken(): void {
    if (Atomics.load(this.control, Control.readerGone) !== 0) this.lost++;
    else this.dropped++;
  }

  /** A call now is not taken: after finish(), or with no worker left (counted as lost). */
  private refused(): boolean {
    if (this.dead) {
      if (!this.closed) this.lost++;
      return true;
    }
    return this.closed;
  }

  /**
   * Waits for the worker to make room, at most `flush_timeout`; false when it has not (the call
   * is dropped). After one such wait, calls are dropped at once until the worker reads again.
   */
  private waitForRoom(): boolean {
    if (this.options.onFull === 'drop') return false;
    const c = this.control;
    if (this.stalledAt !== undefined) {
      if (Atomics.load(c, Control.read) === this.stalledAt) return false;
      this.stalledAt = undefined;
    }
    const deadline = performance.now() + this.options.flushTimeoutMs;
    Atomics.store(c, Control.writerWaiting, 1);
    try {
      for (;;) {
        const read = Atomics.load(c, Control.read);
        if (this.writer.hasRoom()) return true;
        if (Atomics.load(c, Control.readerGone) !== 0) return false;
        const left = deadline - performance.now();
        if (left <= 0) {
          this.stalledAt = read;
          this.logger.warning(
            `AsyncLogger: the backends made no room in the buffer of ${this.options.bufferSize} calls within ` +
              `flush_timeout (${this.options.flushTimeoutMs / 1000} s): calls are dropped until they do`,
          );
          return false;
        }
        Atomics.wait(c, Control.read, read, left);
      }
    } finally {
      Atomics.store(c, Control.writerWaiting, 0);
    }
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private start(): Worker {
    Atomics.store(this.control, Control.readerGone, 0);
    const init: WorkerInit = {
      memory: this.memory,
      keys: [...this.writer.keys],
      build: this.options.build,
      modules: this.options.modules,
      runId: this.options.runId,
      flushIntervalMs: this.options.flushIntervalMs,
    };
    const worker = new (workerThreads().Worker)(workerEntry(), {
      workerData: init,
      stdout: false,
      stderr: false,
    });
    worker.unref();
    // Calls sent by message that the previous worker had not read: the ring still has their markers.
    for (const [seq, call] of this.unread) worker.postMessage({ type: 'call', seq, call });
    let failure: unknown;
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => this.onExit(worker, code, failure));
    return worker;
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'diagnostic':
        this.logger[message.level](message.message);
        break;
      case 'flushed':
      case 'model': {
        const reply = this.replies.get(message.id);
        this.replies.delete(message.id);
        reply?.(message.type === 'model' ? message.error : undefined);
        break;
      }
      case 'finished':
        this.workerFinished = true;
        this.finished?.();
        break;
      case 'ready':
        this.ready = true;
        break;
    }
  }

  /** The worker ended without being asked: report it once, count the loss, start a fresh one. */
  private onExit(worker: Worker, code: number, failure: unknown): void {
    // A worker that said it finished has nothing left to lose.
    if (worker !== this.worker || this.workerFinished) return;
    const c = this.control;
    const rowsRead = Atomics.load(c, Control.rowsRead);
    const lost = Math.max(0, (rowsRead - Atomics.load(c, Control.flushedRows)) | 0);
    Atomics.store(c, Control.flushedRows, rowsRead);
    this.lost += lost;
    this.lostTaken += lost;
    const why = failure ? String(failure) : `exit code ${code}`;
    // Requests the dead worker will never answer.
    for (const reply of this.replies.values()) reply('the backend worker stopped');
    this.replies.clear();
    // A worker that never got its backends built would fail the same way again.
    if (this.closed || !this.ready || this.restarts >= MAX_RESTARTS) {
      const left = this.writer.buffered;
      this.lost += left;
      this.dead = true;
      this.finished?.();
      this.logger.error(
        `AsyncLogger: the backend worker stopped (${why}); ${lost + left} logging calls it had not written are lost` +
          (this.closed ? '' : ', and so are the calls logged from now on'),
      );
      return;
    }
    this.restarts++;
    this.logger.error(
      `AsyncLogger: the backend worker stopped (${why}); ${lost} logging calls it had taken since its last flush ` +
        `may be lost; a fresh worker takes the ${this.writer.buffered} calls still buffered and the ones to come`,
    );
    this.worker = this.start();
  }
}

/**
 * The worker's file: beside this module in the package. When this module runs from elsewhere (its
 * TypeScript source in the tests, the benchmarks' compiled sources), the compiled package's: the
 * `src` folder's sibling `dist` (the repository) or `package` (the benchmarks' build).
 */
function workerEntry(): URL {
  const beside = new URL('./backend.worker.js', import.meta.url);
  const path = fileURLToPath(beside);
  if (existsSync(path)) return beside;
  for (const built of ['dist', 'package']) {
    const compiled = path.replace(/([\\/])src([\\/]loggers[\\/]async[\\/])/, `$1${built}$2`);
    if (compiled !== path && existsSync(compiled)) return pathToFileURL(compiled);
  }
  throw new Error(
    `AsyncLogger: the backend worker's file is missing (${path}): build the package (npm run build)`,
  );
}

function isRow(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStep(step: unknown): step is number | undefined {
  return step === undefined || (typeof step === 'number' && !Number.isNaN(step));
}
