/**
 * The loggers measured: any set of the four backends, configured as a user would (createLogger's
 * dict form), writing where the benchmark says: the console to /dev/null (synchronous writes, as
 * stderr redirected to a file), TensorBoard and W&B into a scratch directory, OTLP to the sink.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CollectingDiagnostics } from '../src/diagnostics.js';
import { AsyncLogger } from '../src/loggers/async-logger.js';
import type { Metrics } from '../src/loggers/base-logger.js';
import { createLogger } from '../src/loggers/multi-logger.js';

export type Backend = 'console' | 'tensorboard' | 'wandb' | 'otlp';
export const ALL_BACKENDS: readonly Backend[] = ['console', 'tensorboard', 'wandb', 'otlp'];

/** The ten keys of every row (a training step's usual scalars). */
export const ROW_KEYS = [
  'train/loss',
  'train/accuracy',
  'train/lr',
  'train/grad_norm',
  'train/epoch',
  'train/tokens_per_s',
  'val/loss',
  'val/accuracy',
  'system/gpu_memory',
  'system/step_time',
] as const;

/** Row `i`: ten fresh values in a fresh object, as a training loop makes them. */
export function row(i: number): Record<(typeof ROW_KEYS)[number], number> {
  const x = i + 1;
  return {
    'train/loss': 1 / x,
    'train/accuracy': 1 - 1 / x,
    'train/lr': 3e-4 * 0.999 ** (i % 1000),
    'train/grad_norm': 0.5 + (i % 7) / 10,
    'train/epoch': Math.floor(i / 1000),
    'train/tokens_per_s': 12_000 + (i % 13),
    'val/loss': 1.2 / x,
    'val/accuracy': 0.9 - 0.5 / x,
    'system/gpu_memory': 7.5e9 + i,
    'system/step_time': 0.001 + (i % 5) * 1e-5,
  };
}

/** Where the loggers write; `dispose` removes it all. */
export class Places {
  readonly dir = mkdtempSync(join(tmpdir(), 'jepa-bench-'));
  private readonly devNull = openSync('/dev/null', 'w');
  private runs = 0;

  constructor(
    /** The OTLP/HTTP receiver's base URL. */
    readonly otlpEndpoint: string,
  ) {}

  /**
   * A stream that writes synchronously to /dev/null (console output redirected to a file). Its
   * `fd` lets an AsyncLogger's worker write to the same descriptor.
   */
  nullStream(): Writable {
    const fd = this.devNull;
    return Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          writeSync(fd, chunk);
          callback();
        },
      }),
      { fd },
    );
  }

  /** A fresh run name: each logger writes its own TensorBoard and W&B run. */
  nextRunName(): string {
    this.runs += 1;
    return `bench-${this.runs}`;
  }

  dispose(): void {
    closeSync(this.devNull);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface LoggerOptions {
  /**
   * Through an AsyncLogger built from the same configuration (`flush_interval` 30 s, its
   * default): its backends run in its worker.
   */
  readonly async?: boolean;
  /** The AsyncLogger's `buffer_size`. Default 1000 (its default). */
  readonly bufferSize?: number;
  /** W&B online against this server instead of offline. */
  readonly wandbUrl?: string;
  /** The OTLP endpoint instead of the places' one. */
  readonly otlpEndpoint?: string;
}

/** What the benchmark calls on a logger (a MultiLogger, or an AsyncLogger around one). */
export interface Logging {
  logMetrics(metrics: Metrics, step?: number): void;
  flush(): Promise<void>;
  finish(): Promise<void>;
}

export interface BenchLogger {
  readonly logger: Logging;
  readonly diagnostics: CollectingDiagnostics;
  /** Calls an AsyncLogger dropped or lost (0 for the others); read after `finish()`. */
  readonly dropped: () => number;
}

export function createBenchLogger(
  backends: readonly Backend[],
  places: Places,
  options: LoggerOptions = {},
): BenchLogger {
  const sections: Record<Backend, Record<string, unknown>> = {
    console: { stream: places.nullStream(), colored: false },
    tensorboard: { log_dir: join(places.dir, 'tensorboard') },
    wandb: options.wandbUrl
      ? {
          mode: 'online',
          base_url: options.wandbUrl,
          api_key: 'bench-key',
          dir: places.dir,
        }
      : { mode: 'offline', dir: places.dir },
    otlp: { endpoint: options.otlpEndpoint ?? places.otlpEndpoint },
  };
  // W&B copies the console backend's lines into its output.log by default (wandb.console wrap).
  // JEPA_BENCH_WANDB_CONSOLE=off leaves that out, to compare with a build older than the copy.
  if (process.env.JEPA_BENCH_WANDB_CONSOLE)
    sections.wandb.console = process.env.JEPA_BENCH_WANDB_CONSOLE;
  const diagnostics = new CollectingDiagnostics();
  const config: Record<string, unknown> = {
    backends: [...backends],
    run_name: places.nextRunName(),
    project: 'bench',
    handle_signals: false,
  };
  for (const backend of backends) config[backend] = sections[backend];
  if (options.async) {
    const logger = new AsyncLogger(
      { ...config, buffer_size: options.bufferSize ?? 1000 },
      { diagnostics },
    );
    return {
      logger,
      diagnostics,
      dropped: () => logger.stats.dropped + logger.stats.lost,
    };
  }
  return { logger: createLogger(config, { diagnostics, env: {} }), diagnostics, dropped: () => 0 };
}
