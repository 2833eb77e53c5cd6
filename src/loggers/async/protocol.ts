/**
 * What an AsyncLogger and its backend worker say to each other besides the ring: how the worker
 * builds its backends, the calls that go by message, and the requests and replies.
 */

import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { RingMemory } from './row-ring.js';

/** How the worker builds its logger: the same configuration a logger built in the caller gets. */
export type BuildSpec =
  /** `LoggerRegistry.get(name)` with the section `config`. */
  | { readonly kind: 'backend'; readonly name: string; readonly config: Record<string, unknown> }
  /** `createLogger(config)`: the dict form, several backends sharing one run. */
  | { readonly kind: 'multi'; readonly config: Record<string, unknown> }
  /** `createLogger(path)`: a YAML file's `logging:` section. */
  | { readonly kind: 'yaml'; readonly path: string };

export interface WorkerInit {
  readonly memory: RingMemory;
  /** Keys the ring's rows refer to that were defined before this worker started. */
  readonly keys: readonly string[];
  readonly build: BuildSpec;
  /** Module specifiers (URLs) imported first: they register custom backends. */
  readonly modules: readonly string[];
  /** Milliseconds between flushes of the backends. */
  readonly flushIntervalMs: number;
  /** The run id, when the configuration does not name it (the calling thread's run has it). */
  readonly runId?: string;
}

/** A call that goes by message (anything but a row of numbers). */
export type MessageCall =
  | { readonly method: 'logMetrics'; readonly args: [unknown, unknown] }
  | { readonly method: 'logAtCurrentStep'; readonly args: [unknown] }
  | { readonly method: 'logHistogram'; readonly args: [string, unknown, unknown] }
  | { readonly method: 'logImage'; readonly args: [string, unknown, unknown] }
  | { readonly method: 'logText'; readonly args: [string, string, unknown] }
  | { readonly method: 'logHyperparams'; readonly args: [unknown, unknown] };

export type ToWorker =
  | { readonly type: 'call'; readonly seq: number; readonly call: MessageCall }
  | { readonly type: 'flush'; readonly id: number }
  | { readonly type: 'model'; readonly id: number; readonly args: [unknown, string, string[]] }
  | {
      readonly type: 'finish';
      readonly options: { exitCode?: number; status?: string };
    };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'flushed'; readonly id: number }
  | { readonly type: 'model'; readonly id: number; readonly error?: string }
  | { readonly type: 'finished' }
  | { readonly type: 'diagnostic'; readonly level: DiagnosticLevelName; readonly message: string };

export type DiagnosticLevelName = 'debug' | 'info' | 'warning' | 'error';

/**
 * A console `stream` given as an object: the file descriptor it writes to, which the worker
 * writes to itself. Objects without one cannot move to a worker.
 */
export interface FdStream {
  readonly __fd: number;
}

export function isFdStream(value: unknown): value is FdStream {
  return typeof (value as FdStream | null)?.__fd === 'number';
}

/**
 * A stream the worker's console writes its lines to: each line one synchronous `write(2)` on the
 * process's own file descriptor, so it lands whole, at once, and in time order with what the
 * calling thread writes to the same descriptor (a worker's `process.stderr` would instead pass
 * each chunk to the calling thread, which writes it only when its event loop turns).
 */
export function fdWriter(fd: number): {
  write(chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean;
  readonly isTTY: boolean;
  readonly fd: number;
} {
  return {
    fd,
    isTTY: isatty(fd),
    write(chunk, encoding, callback) {
      // Stream callers may wait for the write's callback.
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      // A pipe the process set non-blocking answers EAGAIN while full: try again, a while.
      for (let attempt = 0; data.length > 0 && attempt < 1000; attempt++) {
        try {
          data = data.subarray(writeSync(fd, data));
        } catch (error) {
          // A closed descriptor (EPIPE): the line is lost, as a closed stderr loses it.
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') break;
        }
      }
      return true;
    },
  };
}
