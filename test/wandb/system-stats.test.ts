/**
 * A system sample under W&B's keys: every name W&B's table converts is one our sampler records,
 * and the conversions are W&B's units (percent, MB, GB).
 */
import { describe, expect, it } from 'vitest';
import { GPU_METRIC_NAMES, HOST_METRIC_NAMES } from '../../src/telemetry/system-metrics.js';
import { GPU_FIELDS, HOST_KEYS, wandbSystemStats } from '../../src/wandb/system-stats.js';

describe('wandbSystemStats', () => {
  it('converts only names the sampler records (the table cannot drift from them)', () => {
    expect(HOST_METRIC_NAMES).toEqual(expect.arrayContaining(Object.keys(HOST_KEYS)));
    expect(GPU_METRIC_NAMES).toEqual(expect.arrayContaining(Object.keys(GPU_FIELDS)));
  });

  it("gives W&B's keys in W&B's units, other names under their own, without `system.`", () => {
    const stats = wandbSystemStats({
      'process.cpu.utilization': 0.25,
      'process.memory.usage': 512 * 2 ** 20,
      'system.memory.usage': 4 * 2 ** 30,
      'system.memory.utilization': 0.5,
      'hw.gpu.utilization/gpu1': 0.75,
      'nodejs.eventloop.delay.p99': 0.002,
    });
    expect(stats).toEqual({
      cpu: 25,
      'proc.memory.rssMB': 512,
      // OTel's `system.` prefix is W&B's too: the line adds it back.
      'memory.usage': 4 * 2 ** 30,
      memory_percent: 50,
      'proc.memory.percent': 6.25,
      'gpu.1.gpu': 75,
      'nodejs.eventloop.delay.p99': 0.002,
    });
  });
});
