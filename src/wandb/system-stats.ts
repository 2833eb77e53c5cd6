/**
 * A system-metrics sample under the keys W&B's own client uses, so that the System panel charts
 * it as it charts a Python run: percentages for utilisations, MB (2^20 bytes) for process memory,
 * GB (2^30) for the disk. `wandb-events.jsonl` lines prefix each key with `system.`; a `.wandb`
 * stats record holds them bare and the sync adds the prefix. Metrics a Python run has no name
 * for keep their OTel name and unit, as the W&B app shows them (`system.cpu.utilization`,
 * `system.nodejs.eventloop.delay.p99`).
 */

const MB = 1024 * 1024;
const GB = 1024 * MB;

type Conversion = [key: string, convert: (value: number) => number];

/**
 * Host metric (the `jepa.system` event's name, an OTel semantic convention, as
 * telemetry/system-metrics.ts samples it) -> W&B key and the conversion from its OTel unit.
 */
export const HOST_KEYS: Readonly<Record<string, Conversion>> = {
  'process.cpu.utilization': ['cpu', percent],
  'system.memory.utilization': ['memory_percent', percent],
  'process.memory.usage': ['proc.memory.rssMB', (bytes) => bytes / MB],
  'system.filesystem.utilization': ['disk./.usagePercent', percent],
  'system.filesystem.usage': ['disk./.usageGB', (bytes) => bytes / GB],
};

/** GPU metric (`<name>/gpu<index>` in the event) -> W&B's field of `gpu.<index>.<field>`. */
export const GPU_FIELDS: Readonly<Record<string, Conversion>> = {
  'hw.gpu.utilization': ['gpu', percent],
  'hw.gpu.memory.utilization': ['memory', percent],
  'hw.gpu.memory.usage': ['memoryAllocatedBytes', (bytes) => bytes],
  'hw.gpu.memory.limit': ['memoryTotalBytes', (bytes) => bytes],
  'hw.temperature': ['temp', (celsius) => celsius],
  'hw.power': ['powerWatts', (watts) => watts],
  'hw.power.limit': ['enforcedPowerLimitWatts', (watts) => watts],
};

const GPU_KEY = /^(.+)\/gpu(\d+)$/;
/** What W&B puts before every system key. */
export const PREFIX = 'system.';

/** The sample's values (see `SystemMetrics`) under W&B's keys, without the `system.` prefix. */
export function wandbSystemStats(values: Readonly<Record<string, number>>): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    const gpu = GPU_KEY.exec(name);
    const field = gpu && GPU_FIELDS[gpu[1]!];
    if (gpu && field) {
      stats[`gpu.${gpu[2]}.${field[0]}`] = field[1](value);
      continue;
    }
    const host = HOST_KEYS[name];
    if (host) stats[host[0]] = host[1](value);
    else stats[name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name] = value;
  }
  // W&B's derived values: the share of memory the process holds, and of the GPU's memory in use.
  const rss = values['process.memory.usage'];
  const used = values['system.memory.usage'];
  const utilization = values['system.memory.utilization'];
  if (rss !== undefined && used !== undefined && utilization) {
    stats['proc.memory.percent'] = percent(rss / (used / utilization));
  }
  for (const [key, value] of Object.entries(stats)) {
    const allocated = /^gpu\.(\d+)\.memoryAllocatedBytes$/.exec(key);
    const total = allocated && stats[`gpu.${allocated[1]}.memoryTotalBytes`];
    if (allocated && total) stats[`gpu.${allocated[1]}.memoryAllocated`] = percent(value / total);
  }
  return stats;
}

function percent(fraction: number): number {
  return fraction * 100;
}
