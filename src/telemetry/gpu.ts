/**
 * NVIDIA GPUs through `nvidia-smi`, the one interface every NVIDIA driver ships (NVML bindings
 * would be a native dependency). Each poll is a child process, awaited off the training thread,
 * and killed when it hangs (a wedged driver makes `nvidia-smi` block for minutes).
 */
import type { ExecFileException } from 'node:child_process';
import type { DiagnosticLogger } from '../diagnostics.js';
import { lazyModule } from '../lazy-module.js';

const childProcess = lazyModule<typeof import('node:child_process')>('node:child_process');

/** One GPU's reading; a field the GPU reports as `[N/A]` or `[Not Supported]` is absent. */
export interface GpuReading {
  readonly index: number;
  /** Percent of time a kernel ran. */
  readonly utilization?: number;
  /** Percent of time memory was read or written. */
  readonly memoryUtilization?: number;
  readonly memoryUsedBytes?: number;
  readonly memoryTotalBytes?: number;
  /** Degrees Celsius. */
  readonly temperature?: number;
  /** Watts. */
  readonly powerWatts?: number;
  readonly powerLimitWatts?: number;
}

/** The `--query-gpu` fields, in the order `parseNvidiaSmi` reads them. */
export const NVIDIA_SMI_QUERY =
  'index,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,power.draw,power.limit';

const MIB = 1024 * 1024;

/**
 * Readings from `nvidia-smi --query-gpu=<NVIDIA_SMI_QUERY> --format=csv,noheader,nounits`: one
 * line per GPU, fields separated by `, `, memory in MiB, power in W. Lines without an index are
 * skipped.
 */
export function parseNvidiaSmi(csv: string): GpuReading[] {
  const readings: GpuReading[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const fields = line.split(',').map((field) => {
      const value = Number(field.trim());
      return field.trim() !== '' && Number.isFinite(value) ? value : undefined;
    });
    const [index, utilization, memoryUtilization, memoryUsed, memoryTotal, temp, power, limit] =
      fields;
    if (index === undefined || !Number.isInteger(index)) continue;
    readings.push({
      index,
      ...(utilization !== undefined && { utilization }),
      ...(memoryUtilization !== undefined && { memoryUtilization }),
      ...(memoryUsed !== undefined && { memoryUsedBytes: memoryUsed * MIB }),
      ...(memoryTotal !== undefined && { memoryTotalBytes: memoryTotal * MIB }),
      ...(temp !== undefined && { temperature: temp }),
      ...(power !== undefined && { powerWatts: power }),
      ...(limit !== undefined && { powerLimitWatts: limit }),
    });
  }
  return readings;
}

/** Polls `nvidia-smi`; without one on the PATH, says so once and stays silent. */
export class NvidiaSmi {
  private absent = false;
  private hangReported = false;
  private failureReported = false;

  constructor(
    private readonly diagnostics: DiagnosticLogger,
    /** A poll that takes longer is killed (the sampling interval: the next poll is due). */
    private readonly timeoutMs: number,
    private readonly command = 'nvidia-smi',
  ) {}

  /** The GPUs' readings now; none when there is no `nvidia-smi` or it failed. */
  poll(): Promise<GpuReading[]> {
    if (this.absent) return Promise.resolve([]);
    return new Promise((resolve) => {
      childProcess().execFile(
        this.command,
        [`--query-gpu=${NVIDIA_SMI_QUERY}`, '--format=csv,noheader,nounits'],
        { timeout: this.timeoutMs, killSignal: 'SIGKILL', windowsHide: true },
        (error, stdout) => {
          if (error) this.failed(error);
          resolve(error ? [] : parseNvidiaSmi(stdout));
        },
      );
    });
  }

  private failed(error: ExecFileException): void {
    if (error.code === 'ENOENT') {
      this.absent = true;
      this.diagnostics.info('System metrics: no nvidia-smi on the PATH, so no GPU metrics');
    } else if (error.killed) {
      if (this.hangReported) return;
      this.hangReported = true;
      this.diagnostics.warning(
        `System metrics: nvidia-smi did not answer within ${this.timeoutMs / 1000} s and was ` +
          'killed; samples go on without GPU metrics while it hangs (reported once)',
      );
    } else if (!this.failureReported) {
      this.failureReported = true;
      this.diagnostics.warning(`System metrics: nvidia-smi failed: ${error.message.trim()}`);
    }
  }
}
