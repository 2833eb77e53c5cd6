/**
 * Host, process, Node runtime and GPU metrics, sampled every `system_metrics_interval` seconds
 * on a timer of their own, never on the training thread's path: a sample reads a few counters
 * (`process.cpuUsage`, `os.cpus`, the event-loop delay histogram) and awaits the disk and GPU
 * queries. Each sample is recorded twice:
 *
 * - as OTel observable gauges on the run's meters (its own and the application's), under OTel
 *   semantic-convention names, for OTLP and Prometheus;
 * - as one `jepa.system` training event, for the step-aware backends, which show it as their
 *   users expect (W&B's System panel, TensorBoard's `system/` scalars) at the time it was taken.
 *
 * Our own sampler rather than OTel's packages: `@opentelemetry/instrumentation-runtime-node`
 * (0.37) requires `core` 3.x and API 1.10, one of the two OTel JS lines this package supports;
 * `@opentelemetry/host-metrics` (0.39) takes a meter provider (the run's meters include the
 * application's, found later), reads through `systeminformation` at every collection, and hands
 * its values to no one but its reader, so the step-aware backends could not get a sample at
 * W&B's interval. None of them covers GPUs. The names are the semantic conventions all the same.
 */

import { statfs } from 'node:fs/promises';
import { availableParallelism, cpus, freemem, totalmem } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Attributes, ObservableResult } from '@opentelemetry/api';
import type { LogRecord } from '@opentelemetry/api-logs';
import type { DiagnosticLogger } from '../diagnostics.js';
import { systemRecord } from '../events/events.js';
import { type GpuReading, NvidiaSmi } from './gpu.js';
import type { RunMeters } from './instruments.js';

interface HostInstrument {
  readonly unit: string;
  /** The attributes of its one point, where the convention requires some. */
  readonly attributes?: Attributes;
}

/** The instruments, by OTel semantic-convention name. */
const HOST_METRICS = {
  'system.cpu.utilization': { unit: '1' },
  'system.memory.usage': { unit: 'By', attributes: { 'system.memory.state': 'used' } },
  'system.memory.utilization': { unit: '1', attributes: { 'system.memory.state': 'used' } },
  'system.filesystem.usage': { unit: 'By', attributes: { 'system.filesystem.state': 'used' } },
  'system.filesystem.utilization': {
    unit: '1',
    attributes: { 'system.filesystem.state': 'used' },
  },
  'process.cpu.utilization': { unit: '1' },
  'process.memory.usage': { unit: 'By' },
  'v8js.memory.heap.used': { unit: 'By' },
  'nodejs.eventloop.delay.p99': { unit: 's' },
  'nodejs.eventloop.delay.max': { unit: 's' },
  'nodejs.eventloop.utilization': { unit: '1' },
} as const satisfies Record<string, HostInstrument>;

export type HostMetric = keyof typeof HOST_METRICS;
/** The host, process and runtime names a sample holds. */
export const HOST_METRIC_NAMES = Object.keys(HOST_METRICS) as readonly HostMetric[];

/** GPU instruments (one point per GPU, `hw.id` = `gpu<index>`) and the reading each shows. */
const GPU_METRICS = {
  'hw.gpu.utilization': { unit: '1', read: (g: GpuReading) => fraction(g.utilization) },
  'hw.gpu.memory.utilization': {
    unit: '1',
    read: (g: GpuReading) => fraction(g.memoryUtilization),
  },
  'hw.gpu.memory.usage': { unit: 'By', read: (g: GpuReading) => g.memoryUsedBytes },
  'hw.gpu.memory.limit': { unit: 'By', read: (g: GpuReading) => g.memoryTotalBytes },
  'hw.temperature': { unit: 'Cel', read: (g: GpuReading) => g.temperature },
  'hw.power': { unit: 'W', read: (g: GpuReading) => g.powerWatts },
  'hw.power.limit': { unit: 'W', read: (g: GpuReading) => g.powerLimitWatts },
} as const;

export type GpuMetric = keyof typeof GPU_METRICS;
/** The GPU names a sample holds (each as `<name>/gpu<index>`). */
export const GPU_METRIC_NAMES = Object.keys(GPU_METRICS) as readonly GpuMetric[];

/**
 * The histogram's timer fires every `LOOP_RESOLUTION_MS` and records the time between fires, in
 * ns: the delay is what exceeds the resolution. It is empty when the loop never turned.
 */
const LOOP_RESOLUTION_MS = 10;

/** The event key of a GPU's value: `hw.gpu.utilization/gpu0`. */
export function gpuKey(name: GpuMetric, index: number): string {
  return `${name}/gpu${index}`;
}

export interface SystemMetricsOptions {
  readonly meters: RunMeters;
  /** Emits the sample's training event (the run's `emitEvent`). */
  readonly emit: (record: LogRecord) => unknown;
  readonly intervalMs: number;
  readonly diagnostics: DiagnosticLogger;
  /** The filesystem whose usage is reported. Default `/`, as W&B reports it. */
  readonly diskPath?: string;
}

interface Sample {
  readonly host: Partial<Record<HostMetric, number>>;
  readonly gpus: readonly GpuReading[];
}

export class SystemMetrics {
  private readonly timer: NodeJS.Timeout;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private readonly gpu: NvidiaSmi;
  private latest: Sample = { host: {}, gpus: [] };
  private lastCpu = process.cpuUsage();
  private lastHostCpu = hostCpuTimes();
  private lastWallMs = performance.now();
  private lastLoop = performance.eventLoopUtilization();
  private sampling = false;
  private stopped = false;

  constructor(private readonly options: SystemMetricsOptions) {
    this.gpu = new NvidiaSmi(options.diagnostics, options.intervalMs);
    this.loopDelay.enable();
    options.meters.each((meter) => {
      for (const [name, { unit }] of Object.entries(HOST_METRICS)) {
        meter
          .createObservableGauge(name, { unit })
          .addCallback((result) => this.observeHost(name as HostMetric, result));
      }
      for (const [name, { unit, read }] of Object.entries(GPU_METRICS)) {
        meter.createObservableGauge(name, { unit }).addCallback((result) => {
          for (const gpu of this.latest.gpus) {
            const value = read(gpu);
            if (value !== undefined) result.observe(value, { 'hw.id': `gpu${gpu.index}` });
          }
        });
      }
    });
    // The first sample needs a previous one to measure CPU time against: it comes one interval in.
    this.timer = setInterval(() => void this.tick(), options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.loopDelay.disable();
  }

  private observeHost(name: HostMetric, result: ObservableResult): void {
    const value = this.latest.host[name];
    const instrument: HostInstrument = HOST_METRICS[name];
    if (value !== undefined) result.observe(value, instrument.attributes);
  }

  private async tick(): Promise<void> {
    // A poll still hanging (until its kill at the interval) skips this turn, not the next.
    if (this.sampling) return;
    this.sampling = true;
    try {
      const [gpus, disk] = await Promise.all([this.gpu.poll(), diskUsage(this.diskPath)]);
      if (this.stopped) return;
      this.latest = { host: { ...this.sampleHost(), ...disk }, gpus };
      this.options.emit(systemRecord(eventValues(this.latest)));
    } finally {
      this.sampling = false;
    }
  }

  private loopDelaySeconds(nanoseconds: number): number | undefined {
    if (this.loopDelay.count === 0) return undefined;
    return Math.max(0, nanoseconds / 1e6 - LOOP_RESOLUTION_MS) / 1000;
  }

  private get diskPath(): string {
    return this.options.diskPath ?? '/';
  }

  private sampleHost(): Partial<Record<HostMetric, number>> {
    const wallMs = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const hostCpu = hostCpuTimes();
    const loop = performance.eventLoopUtilization(this.lastLoop);
    const cores = availableParallelism();
    const elapsedMicros = (wallMs - this.lastWallMs) * 1000;
    const hostTotal = hostCpu.total - this.lastHostCpu.total;
    const total = totalmem();
    const used = total - freemem();
    const memory = process.memoryUsage();
    const values = {
      'system.cpu.utilization':
        hostTotal > 0 ? 1 - (hostCpu.idle - this.lastHostCpu.idle) / hostTotal : undefined,
      'system.memory.usage': used,
      'system.memory.utilization': used / total,
      'process.cpu.utilization': (cpu.user + cpu.system) / (elapsedMicros * cores),
      'process.memory.usage': memory.rss,
      'v8js.memory.heap.used': memory.heapUsed,
      'nodejs.eventloop.delay.p99': this.loopDelaySeconds(this.loopDelay.percentile(99)),
      'nodejs.eventloop.delay.max': this.loopDelaySeconds(this.loopDelay.max),
      'nodejs.eventloop.utilization': loop.utilization,
    };
    this.loopDelay.reset();
    this.lastCpu = process.cpuUsage();
    this.lastHostCpu = hostCpu;
    this.lastWallMs = wallMs;
    this.lastLoop = performance.eventLoopUtilization();
    return withoutUndefined(values);
  }
}

/** The event's values: host metrics by name, GPU metrics by `gpuKey`. */
function eventValues(sample: Sample): Record<string, number> {
  const values: Record<string, number> = { ...withoutUndefined(sample.host) };
  for (const gpu of sample.gpus) {
    for (const [name, { read }] of Object.entries(GPU_METRICS)) {
      const value = read(gpu);
      if (value !== undefined) values[gpuKey(name as GpuMetric, gpu.index)] = value;
    }
  }
  return values;
}

async function diskUsage(path: string): Promise<Partial<Record<HostMetric, number>>> {
  try {
    const stats = await statfs(path);
    const total = stats.blocks * stats.bsize;
    const used = total - stats.bfree * stats.bsize;
    return { 'system.filesystem.usage': used, 'system.filesystem.utilization': used / total };
  } catch {
    // A filesystem that cannot be asked (a path gone, no statfs on this platform): no disk values.
    return {};
  }
}

function hostCpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

function fraction(percent: number | undefined): number | undefined {
  return percent === undefined ? undefined : percent / 100;
}

function withoutUndefined<T extends Record<string, number | undefined>>(
  values: T,
): Partial<Record<keyof T, number>> {
  const out: Partial<Record<keyof T, number>> = {};
  for (const key in values) if (values[key] !== undefined) out[key] = values[key];
  return out;
}
