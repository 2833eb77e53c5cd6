/**
 * What an AsyncLogger hands its calls to: the backends in a worker when its configuration can
 * move there (see `planWorker`), else a logger on the calling thread, as given or built here.
 */
import type { DiagnosticLogger } from '../../diagnostics.js';
import type { BaseLogger, LoggerConfig } from '../base-logger.js';
import { resolveBaseLogger } from '../logger-wrapper.js';
import { createLogger } from '../multi-logger.js';
import { callerRun } from './caller-run.js';
import { planWorker } from './worker-config.js';
import { WorkerLogger } from './worker-logger.js';

export interface AsyncSettings {
  /** Run the backends in a worker when they can move there. */
  readonly worker: boolean;
  readonly modules: readonly string[];
  readonly bufferSize: number;
  readonly flushIntervalMs: number;
  readonly flushTimeoutMs: number;
  readonly onFull: 'block' | 'drop';
}

export interface AsyncBackends {
  /** The logger the wrapper hands calls to (the worker's side when there is a worker). */
  readonly base: BaseLogger;
  readonly worker?: WorkerLogger;
  /** Why the backends stay on the calling thread (when `worker` is on). */
  readonly why?: string;
  /** Keys that configure nothing (a backend given as a logger takes none). */
  readonly ignored: readonly string[];
}

export function asyncBackends(
  who: string,
  config: LoggerConfig,
  ownKeys: readonly string[],
  settings: AsyncSettings,
  diagnostics: DiagnosticLogger,
): AsyncBackends {
  const plan = settings.worker
    ? planWorker(config, ownKeys, settings.modules)
    : { why: 'worker: false' };
  if (plan.build) {
    const { run, runId } = callerRun(plan.build, diagnostics, plan.loaded);
    const worker = new WorkerLogger({
      build: plan.build,
      runId,
      caller: run,
      modules: plan.modules,
      bufferSize: settings.bufferSize,
      flushIntervalMs: settings.flushIntervalMs,
      flushTimeoutMs: settings.flushTimeoutMs,
      onFull: settings.onFull,
      diagnostics,
    });
    return { base: worker, worker, ignored: [] };
  }
  if (config.backends !== undefined || config.config !== undefined) {
    const own = new Set([...ownKeys, 'base_logger', 'backend', 'config']);
    const dict = Object.fromEntries(Object.entries(config).filter(([key]) => !own.has(key)));
    const base = createLogger((config.config ?? dict) as Parameters<typeof createLogger>[0], {
      diagnostics,
    });
    return { base, why: plan.why, ignored: [] };
  }
  const { base, rest } = resolveBaseLogger(who, config, ownKeys);
  return { base, why: plan.why, ignored: Object.keys(rest) };
}
