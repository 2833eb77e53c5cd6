/**
 * Process exit paths for open runs. SIGINT, SIGTERM, an uncaught exception or unhandled rejection,
 * and `beforeExit` (a script that forgot `finish()`) each finish every open run within a bounded
 * time, marked failed or interrupted where they were. The listeners exist only while a run is
 * open, and the process then ends as it would have without us: a signal is raised again when
 * nobody else handles it, and an uncaught exception still exits with code 1.
 */
import type { FinishOptions } from './training-run.js';

export interface FinishableRun {
  finish(options?: FinishOptions): Promise<void>;
}

interface Tracked {
  readonly flushTimeoutMs: number;
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

const runs = new Map<FinishableRun, Tracked>();
const signalHandlers = new Map<HandledSignal, () => void>();

export function trackRun(run: FinishableRun, flushTimeoutMs: number): void {
  runs.set(run, { flushTimeoutMs });
  if (runs.size === 1) install();
}

export function untrackRun(run: FinishableRun): void {
  runs.delete(run);
  if (runs.size === 0) uninstall();
}

/** Runs currently watched (for tests). */
export function trackedRunCount(): number {
  return runs.size;
}

async function finishAll(options: FinishOptions): Promise<void> {
  const open = [...runs.entries()];
  const timeoutMs = Math.max(0, ...open.map(([, t]) => t.flushTimeoutMs));
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

function install(): void {
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[]) {
    const handler = () => onSignal(signal);
    signalHandlers.set(signal, handler);
    process.on(signal, handler);
  }
  process.on('uncaughtException', onUncaught);
  process.on('beforeExit', onBeforeExit);
}

function uninstall(): void {
  for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
  signalHandlers.clear();
  process.removeListener('uncaughtException', onUncaught);
  process.removeListener('beforeExit', onBeforeExit);
}
