/**
 * Real peer processes for tests (the Collector, Prometheus, the bridge, training processes):
 * start them on 127.0.0.1, wait until they answer, stop them afterwards; whatever a test leaves
 * running is killed when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Output kept per process, for the error message when it misbehaves. */
const KEPT_OUTPUT = 64 * 1024;
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last 64 KiB of stdout and stderr, interleaved. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has ended. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): ManagedProcess {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEPT_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      keep(Buffer.from(`\n[${name}: ${error.message}]\n`));
      running.delete(child);
      resolve(null);
    });
    child.once('close', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  const ended = () => child.exitCode !== null || child.signalCode !== null || !running.has(child);
  return {
    name,
    child,
    output: () => output,
    exited,
    stop: async (graceMs = 10_000) => {
      if (ended()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Stops every process given (in parallel); never throws. */
export async function stopAll(processes: readonly (ManagedProcess | undefined)[]): Promise<void> {
  await Promise.allSettled(processes.map((p) => p?.stop()));
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Polls `url` until `ready(response)` holds; fails early, with the process's output, when the
 * process it waits for exits first.
 */
export async function waitForHttp(
  url: string,
  options: {
    readonly process?: ManagedProcess;
    readonly timeoutMs?: number;
    readonly ready?: (response: Response) => boolean | Promise<boolean>;
  } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const ready = options.ready ?? ((response: Response) => response.ok);
  let exited = false;
  void options.process?.exited.then(() => {
    exited = true;
  });
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(
        `${options.process?.name} exited before ${url} answered:\n${options.process?.output()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (await ready(response)) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  throw new Error(
    `${url} did not become ready (${last})${options.process ? `:\n${options.process.output()}` : ''}`,
  );
}

/** Polls `check` until it returns a value other than undefined, or fails with `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
