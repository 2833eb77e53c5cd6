/**
 * The AsyncLogger's worker: builds the backends from the configuration it is given, reads the
 * calls from the ring in order (and the few that come by message where their markers say) and
 * hands them to the backends, flushing them every `flush_interval`. A separate entry of the
 * package (`dist/loggers/async/backend.worker.js`): bundlers treat `*.worker.ts` files as entries.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DiagnosticLogger } from '../../diagnostics.js';
import type { HistogramInput, ImageInput } from '../../events/media.js';
import { type BaseLogger, LoggerRegistry, type Metrics } from '../base-logger.js';
import '../builtins.js';
import { createLogger } from '../multi-logger.js';
import {
  type DiagnosticLevelName,
  type FromWorker,
  fdWriter,
  isFdStream,
  type MessageCall,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';
import { Control, RecordOp, RingReader, type RingRecord, Sleep } from './row-ring.js';

/** `Atomics.waitAsync` (Node 16 and later; in TypeScript's lib from ES2024 on). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/** How long one slice of delivering may hold the worker's event loop. */
const SLICE_MS = 20;

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);

const diagnostics: DiagnosticLogger = Object.fromEntries(
  (['debug', 'info', 'warning', 'error'] as DiagnosticLevelName[]).map((level) => [
    level,
    (message: string) => post({ type: 'diagnostic', level, message }),
  ]),
) as unknown as DiagnosticLogger;

const reader = new RingReader(init.memory, init.keys);
const control = reader.control;
/** Calls that came by message, by sequence number, until their marker is read. */
const messages = new Map<number, MessageCall>();
const flushes: { id: number; mark: number }[] = [];
let finishing: { mark: number; options: { exitCode?: number; status?: string } } | undefined;
let flushDue = false;
/** A backend call whose promise has not settled: nothing is read until it has. */
let pending: Promise<void> | undefined;

function gone(): void {
  Atomics.store(control, Control.readerGone, 1);
  Atomics.notify(control, Control.read);
}

function ring(): void {
  Atomics.add(control, Control.doorbell, 1);
  Atomics.notify(control, Control.doorbell);
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'call':
      messages.set(message.seq, message.call);
      break;
    case 'flush':
      flushes.push({ id: message.id, mark: reader.writtenNow() });
      break;
    case 'model':
      void logModel(message.id, message.args);
      break;
    case 'finish':
      finishing = { mark: reader.writtenNow(), options: message.options };
      break;
  }
  ring();
});

// A worker's process.stdout and stderr pass every chunk to the calling thread, which writes it
// when its event loop turns: a loop that never yields would see no console line before its end.
// Here they write to the process's descriptors at once, one whole line per write(2), in time
// order with the calling thread's own writes.
for (const [stream, fd] of [
  [process.stdout, 1],
  [process.stderr, 2],
] as const) {
  const writer = fdWriter(fd);
  Object.defineProperty(stream, 'write', { value: writer.write, configurable: true });
  Object.defineProperty(stream, 'isTTY', { value: writer.isTTY, configurable: true });
}

// A writer waiting for room must not wait for a reader that has gone.
process.on('exit', gone);
let logger: BaseLogger;
try {
  for (const specifier of init.modules) await import(specifier);
  logger = build();
} catch (error) {
  gone();
  throw error;
}
const timer = setInterval(() => {
  flushDue = true;
  ring();
}, init.flushIntervalMs);
post({ type: 'ready' });
await pump();
clearInterval(timer);
port.close();

function build(): BaseLogger {
  const { build } = init;
  // The run id the calling thread's run has, unless the configuration names one.
  const settings = init.runId ? { run_id: init.runId } : undefined;
  if (build.kind === 'yaml') return createLogger(build.path, { diagnostics, settings });
  if (build.kind === 'multi') {
    return createLogger(withStreams(build.config) as Parameters<typeof createLogger>[0], {
      diagnostics,
      settings,
    });
  }
  const loggerClass = LoggerRegistry.get(build.name) as unknown as new (
    config: Record<string, unknown>,
    options: { diagnostics: DiagnosticLogger; settings?: Record<string, unknown> },
  ) => BaseLogger;
  const logger = new loggerClass(withStreams(build.config) as Record<string, unknown>, {
    diagnostics,
    settings,
  });
  // A custom logger reports through `logger.logger`: to the calling thread's diagnostics too.
  logger.logger = diagnostics;
  return logger;
}

/** The configuration with every `{__fd}` stream replaced by a writer of that descriptor. */
function withStreams(value: unknown): unknown {
  if (isFdStream(value)) return fdWriter(value.__fd);
  if (Array.isArray(value)) return value.map(withStreams);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withStreams(v)]));
  }
  return value;
}

/** Delivers calls as they come, and serves flushes and the finish, until finished. */
async function pump(): Promise<void> {
  for (;;) {
    serveSyncFlush();
    if (pending) {
      reader.wakeWriter();
      await pending;
      continue;
    }
    const blocked = deliverSlice();
    if (pending) continue;
    if (flushDue || flushes.some((f) => reader.drainedTo(f.mark))) await flushBackends();
    if (finishing && reader.drainedTo(finishing.mark)) {
      await flushBackends();
      await logger.finish(finishing.options as Parameters<BaseLogger['finish']>[0]);
      post({ type: 'finished' });
      return;
    }
    // What was read so far is room for a writer waiting for it, whatever half is free.
    reader.wakeWriter();
    if (blocked || !reader.pending) await sleep();
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Polls this often while calls keep coming; after this many empty polls, sleeps until called. */
const POLL_MS = 5;
const EMPTY_POLLS_BEFORE_IDLE = 20;
let emptyPolls = 0;

/**
 * Sleeps until the doorbell rings (a batch of calls, a message, a request, the flush timer) or,
 * while calls keep coming, for a poll interval.
 */
async function sleep(): Promise<void> {
  const bell = Atomics.load(control, Control.doorbell);
  const idle = emptyPolls >= EMPTY_POLLS_BEFORE_IDLE;
  Atomics.store(control, Control.readerSleeping, idle ? Sleep.Idle : Sleep.Polling);
  try {
    // Checked after raising the flag: a call written before it was raised is seen here.
    if (hasWork()) {
      emptyPolls = 0;
      return;
    }
    const wait = waitAsync(control, Control.doorbell, bell, idle ? 1000 : POLL_MS);
    if (wait.async) await wait.value;
    emptyPolls = reader.pending ? 0 : emptyPolls + 1;
  } finally {
    Atomics.store(control, Control.readerSleeping, Sleep.Awake);
  }
}

function hasWork(): boolean {
  return (
    (reader.pending && !waitingForMessage()) ||
    flushDue ||
    syncRequested() ||
    (finishing !== undefined && reader.drainedTo(finishing.mark)) ||
    flushes.some((f) => reader.drainedTo(f.mark))
  );
}

function waitingForMessage(): boolean {
  const next = reader.peek();
  return next?.op === RecordOp.Message && !messages.has(next.seq);
}

/** Delivers calls for one slice; true when stopped by a marker whose message is not here yet. */
function deliverSlice(): boolean {
  const end = performance.now() + SLICE_MS;
  let n = 0;
  for (;;) {
    // The clock is read every 64 calls: reading it costs as much as a call.
    if ((++n & 63) === 0 && performance.now() > end) return false;
    const next = reader.peek();
    if (!next) return false;
    if (next.op === RecordOp.Message && !messages.has(next.seq)) return true;
    const result = deliver(next);
    if (result) {
      const settled: Promise<void> = result.then(() => {
        // Not when a synchronous flush consumed it already.
        if (pending !== settled) return;
        pending = undefined;
        reader.consume();
      });
      pending = settled;
      return false;
    }
    reader.consume();
  }
}

/** Hands one call to the backends; the promise of a backend that returned one. */
function deliver(record: RingRecord): Promise<void> | undefined {
  try {
    let result: unknown;
    if (record.op === RecordOp.Message) {
      const call = messages.get(record.seq)!;
      messages.delete(record.seq);
      // Messages whose markers never made it (their call was dropped) are older than this one.
      for (const seq of messages.keys()) if (seq < record.seq) messages.delete(seq);
      Atomics.store(control, Control.messagesRead, record.seq);
      result = callByMessage(call);
    } else if (record.op === RecordOp.Metrics) {
      result = logger.logMetrics(record.row, record.step);
    } else {
      logger.logAtCurrentStep(record.row);
    }
    if (isPromise(result)) {
      return result.then(
        () => {
          Atomics.add(control, Control.delivered, 1);
        },
        (error) => failed(error),
      );
    }
    Atomics.add(control, Control.delivered, 1);
  } catch (error) {
    failed(error);
  }
  return undefined;
}

function callByMessage(call: MessageCall): unknown {
  switch (call.method) {
    case 'logMetrics':
      return logger.logMetrics(call.args[0] as Metrics, call.args[1] as number | undefined);
    case 'logAtCurrentStep':
      return logger.logAtCurrentStep(call.args[0] as Record<string, number>);
    case 'logHistogram':
      return logger.logHistogram(
        call.args[0],
        call.args[1] as HistogramInput,
        call.args[2] as number | undefined,
      );
    case 'logImage':
      return logger.logImage(
        call.args[0],
        call.args[1] as ImageInput,
        call.args[2] as number | undefined,
      );
    case 'logText':
      return logger.logText(call.args[0], call.args[1], call.args[2] as number | undefined);
    case 'logHyperparams':
      return logger.logHyperparams(
        call.args[0] as Record<string, unknown>,
        call.args[1] as Metrics | undefined,
      );
  }
}

let failureReported = false;
function failed(error: unknown): void {
  Atomics.add(control, Control.failed, 1);
  if (failureReported) return;
  failureReported = true;
  diagnostics.warning(
    `AsyncLogger: the backend failed to take a logging call: ${String(error)} (further failures are counted in stats.failed)`,
  );
}

/** Flushes the backends; what was read before the flush began counts as flushed once it ends. */
async function flushBackends(): Promise<void> {
  flushDue = false;
  const rowsRead = Atomics.load(control, Control.rowsRead);
  const served = flushes.filter((f) => reader.drainedTo(f.mark));
  try {
    await logger.flush();
    Atomics.store(control, Control.flushedRows, rowsRead);
  } catch (error) {
    diagnostics.warning(`AsyncLogger: the backend failed to flush: ${String(error)}`);
  }
  for (const flush of served) {
    flushes.splice(flushes.indexOf(flush), 1);
    post({ type: 'flushed', id: flush.id });
  }
}

function syncRequested(): boolean {
  return Atomics.load(control, Control.syncRequested) !== Atomics.load(control, Control.syncDone);
}

/**
 * The calling thread is exiting and waits (`flushSync`): deliver everything in the ring at once,
 * without waiting for a backend's promises or for messages still on their way, and have the
 * backends write synchronously.
 */
function serveSyncFlush(): void {
  if (!syncRequested()) return;
  const requested = Atomics.load(control, Control.syncRequested);
  // The call a backend is still taking was delivered already.
  if (pending) {
    pending = undefined;
    reader.consume();
  }
  for (let next = reader.peek(); next; next = reader.peek()) {
    if (next.op !== RecordOp.Message || messages.has(next.seq)) void deliver(next);
    reader.consume();
  }
  const exitCode = Atomics.load(control, Control.syncExitCode);
  try {
    logger.flushSync(exitCode >= 0 ? { exitCode } : undefined);
    Atomics.store(control, Control.flushedRows, Atomics.load(control, Control.rowsRead));
  } catch (error) {
    diagnostics.error(`AsyncLogger: the backend failed to write synchronously: ${String(error)}`);
  }
  Atomics.store(control, Control.syncDone, requested);
  Atomics.notify(control, Control.syncDone);
}

async function logModel(id: number, args: [unknown, string, string[]]): Promise<void> {
  try {
    await logger.logModel(args[0] as string | Uint8Array, args[1], args[2]);
    post({ type: 'model', id });
  } catch (error) {
    post({ type: 'model', id, error: String(error) });
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}
