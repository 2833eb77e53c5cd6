/**
 * The OTLP training child (children/otlp-train.mjs) as a managed process, and what its output
 * says: the steps it logged and when, its memory over time, its slowest call and loop turn, and
 * the OTLP delivery reports among its diagnostics.
 */
import { join } from 'node:path';
import { distIndex } from '../exporters/tensorboard/built.js';
import { type ManagedProcess, startProcess } from '../support/processes.js';

const script = join(import.meta.dirname, 'children', 'otlp-train.mjs');

export interface TrainingChildOptions {
  /** The otlp section. */
  readonly otlp: Record<string, unknown>;
  /** Milliseconds between rows; 0 logs as fast as it can. */
  readonly paceMs: number;
  /** Values per row. Default 3. */
  readonly width?: number;
}

export class TrainingChild {
  readonly process: ManagedProcess;

  constructor(options: TrainingChildOptions) {
    this.process = startProcess(
      'training',
      process.execPath,
      [
        script,
        distIndex,
        JSON.stringify(options.otlp),
        String(options.paceMs),
        String(options.width ?? 3),
      ],
      // The child's output is long: keep it all (ManagedProcess keeps the last 64 KiB).
      { env: { JEPA_LOGGERS_LOG_LEVEL: 'INFO' } },
    );
    this.process.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.process.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  stdout = '';
  stderr = '';

  /** [step, unix ms] of every tenth row logged so far. */
  steps(): [number, number][] {
    return [...this.stdout.matchAll(/^step (\d+) (\d+)$/gm)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
  }

  /** The latest step logged (as far as the output tells), -1 before the first. */
  latestStep(): number {
    return this.steps().at(-1)?.[0] ?? -1;
  }

  /** The first step logged at or after `timeMs`. */
  firstStepAtOrAfter(timeMs: number): number | undefined {
    return this.steps().find(([, at]) => at >= timeMs)?.[0];
  }

  /** The largest heapUsed and rss sampled, in bytes, and the first heapUsed. */
  memory(): { firstHeap: number; maxHeap: number; maxRss: number; samples: number } {
    const samples = [...this.stdout.matchAll(/^memory (\d+) (\d+)$/gm)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    return {
      firstHeap: samples[0]?.[0] ?? 0,
      maxHeap: Math.max(0, ...samples.map(([heap]) => heap!)),
      maxRss: Math.max(0, ...samples.map(([, rss]) => rss!)),
      samples: samples.length,
    };
  }

  /** A number the child printed at exit (`last-step`, `slowest-call`, `slowest-turn`). */
  final(name: 'last-step' | 'slowest-call' | 'slowest-turn'): number {
    const match = new RegExp(`^${name} ([\\d.]+)$`, 'm').exec(this.stdout);
    if (!match) throw new Error(`the child printed no ${name}:\n${this.stderr}`);
    return Number(match[1]);
  }

  /** The `otlp: ...` diagnostics. */
  otlpReports(): string[] {
    return [...this.stderr.matchAll(/^jepa-loggers (?:WARNING|INFO): (otlp: .*)$/gm)].map(
      (m) => m[1]!,
    );
  }

  /** The run's totals from the final report: log records lost and delivered. */
  logTotals(): { lost: number; delivered: number } {
    const final = this.otlpReports().find(
      (r) => r.startsWith('otlp: over the run') || r.startsWith('otlp: delivered everything'),
    );
    if (!final) throw new Error(`no final OTLP report:\n${this.stderr}`);
    const lost = /lost (\d+) log records/.exec(final);
    const delivered = /delivered(?: everything:)? (\d+) log records/.exec(final);
    return { lost: Number(lost?.[1] ?? 0), delivered: Number(delivered![1]) };
  }
}
