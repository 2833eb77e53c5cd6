/**
 * Process exit paths for open runs. An uncaught exception or unhandled rejection and `beforeExit`
 * (a script that forgot `finish()`) finish every open run within a bounded time, marked failed
 * where they were; so do SIGINT and SIGTERM for runs that asked (`handle_signals`). Every open run
 * gets a synchronous write of its queued events at `process.exit()`, which changes nothing else.
 * The listeners exist only while a run is open, and the process then ends as it would have
 * without us: a signal is raised again when nobody else handles it, and an uncaught exception
 * still exits with code 1.
 *
 * Signals are opt-in because Node runs a signal listener only when the event loop turns: with one
 * installed, a process whose training loop is synchronous (never awaits) would ignore SIGTERM and
 * Ctrl-C until the loop ends, and there is no way to run code at the signal before that.
 */
import type { FinishOptions } from './training-run.js';

export interface FinishableRun {
  finish(options?: FinishOptions): Promise<void>;
  /** Writes what it can synchronously, ending the run with `end`; the last chance at process exit. */
  flushSync?(end?: FinishOptions): void;
}

export interface TrackOptions {
  /** Finish the run on SIGINT and SIGTERM too (installs those listeners). */
  readonly handleSignals: boolean;
  /** How long the exit paths may spend finishing before the process ends anyway. */
  readonly flushTimeoutMs: number;
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

/** Every open run, with its flush timeout; those that asked to be finished on signals. */
const runs = new Map<FinishableRun, number>();
const finishedOnSignals = new Set<FinishableRun>();
const signalHandlers = new Map<HandledSignal, () => void>();

export function trackRun(run: FinishableRun, options: TrackOptions): void {
  runs.set(run, options.flushTimeoutMs);
  if (runs.size === 1) installExitHandlers();
  if (!options.handleSignals) return;
  finishedOnSignals.add(run);
  if (finishedOnSignals.size === 1) installSignalHandlers();
}

export function untrackRun(run: FinishableRun): void {
  if (runs.delete(run) && runs.size === 0) uninstallExitHandlers();
  if (finishedOnSignals.delete(run) && finishedOnSignals.size === 0) uninstallSignalHandlers();
}

/** Runs currently watched (for tests). */
export function trackedRunCount(): number {
  return runs.size;
}

async function finishAll(options: FinishOptions): Promise<void> {
  const open = [...runs.entries()];
  const timeoutMs = Math.max(0, ...open.map(([, flushTimeoutMs]) => flushTimeoutMs));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(
        `jepa-loggers WARNING: flushing runs took over ${timeoutMs} ms; exiting anyway\n`,
      );
      resolve();
    }, timeoutMs);
  });
  const finished = Promise.allSettled(open.map(([run]) => run.finish(options)));
  await Promise.race([finished, timeout]);
  clearTimeout(timer);
}

function onSignal(signal: HandledSignal): void {
  void finishAll({ exitCode: SIGNAL_EXIT_CODES[signal], status: 'interrupted' }).then(() => {
    const ours = signalHandlers.get(signal);
    if (ours) process.removeListener(signal, ours);
    signalHandlers.delete(signal);
    // Nobody else handles it: end the way the signal would have ended us.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function onUncaught(error: unknown, origin: string): void {
  const alone = process.listenerCount('uncaughtException') === 1;
  void finishAll({ exitCode: 1, status: 'failed' }).then(() => {
    if (!alone) return;
    // We replaced Node's default handling: do what it does, print and exit 1.
    const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    const what =
      origin === 'unhandledRejection' ? 'Unhandled promise rejection' : 'Uncaught exception';
    process.stderr.write(`${what}: ${text}\n`);
    process.exit(1);
  });
}

function onBeforeExit(): void {
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  void finishAll({ exitCode: code });
}

/**
 * `process.exit()` skips every asynchronous path: end each open run with the process's exit code
 * and write its queued events synchronously.
 */
function onExit(code: number): void {
  for (const run of runs.keys()) {
    try {
      run.flushSync?.({ exitCode: code });
    } catch {
      // Exiting: nothing can be reported any more.
    }
  }
}

function installExitHandlers(): void {
  process.on('exit', onExit);
  process.on('uncaughtException', onUncaught);
  process.on('beforeExit', onBeforeExit);
}

function uninstallExitHandlers(): void {
  process.removeListener('exit', onExit);
  process.removeListener('uncaughtException', onUncaught);
  process.removeListener('beforeExit', onBeforeExit);
}

function installSignalHandlers(): void {
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[]) {
    const handler = () => onSignal(signal);
    signalHandlers.set(signal, handler);
    process.on(signal, handler);
  }
}

function uninstallSignalHandlers(): void {
  for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
  signalHandlers.clear();
}
