/**
 * The system-metrics sampler: OTel semantic-convention gauges on the run's meters, one
 * `jepa.system` event per interval, plausible values. GPUs come from a script named `nvidia-smi`
 * that the test puts first on the PATH (these machines have no GPU; see gpu.test.ts).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord } from '@opentelemetry/api-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { EventName } from '../../src/events/events.js';
import { RunMeters } from '../../src/telemetry/instruments.js';
import { SystemMetrics } from '../../src/telemetry/system-metrics.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';

const INTERVAL_MS = 100;
const originalPath = process.env.PATH;

describe('SystemMetrics', () => {
  const records: LogRecord[] = [];
  const rssSeen: number[] = [];
  const exported = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: exported,
    exportIntervalMillis: 3_600_000,
  });
  const diagnostics = new CollectingDiagnostics();
  let intervalsElapsed = 0;
  let recordsAtStop = 0;

  beforeAll(async () => {
    const dir = tempDir('fake-nvidia-smi');
    writeFileSync(
      join(dir, 'nvidia-smi'),
      "#!/bin/sh\nprintf '0, 87, 45, 30512, 40960, 71, 245.31, 400.00\\n1, 3, 1, 3, 15360, 34, [N/A], [N/A]\\n'\n",
    );
    chmodSync(join(dir, 'nvidia-smi'), 0o755);
    process.env.PATH = `${dir}:${originalPath}`;
    const meters = new RunMeters();
    meters.add(new MeterProvider({ readers: [reader] }).getMeter('test'));
    const sampler = new SystemMetrics({
      meters,
      emit: (record) => records.push(record),
      intervalMs: INTERVAL_MS,
      diagnostics,
    });
    // Until four samples arrived: a busy machine slips timers, so the time it took is measured
    // rather than assumed.
    const started = Date.now();
    const giveUp = started + 100 * INTERVAL_MS;
    while (records.length < 4 && Date.now() < giveUp) {
      rssSeen.push(process.memoryUsage().rss);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    intervalsElapsed = (Date.now() - started) / INTERVAL_MS;
    sampler.stop();
    recordsAtStop = records.length;
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_MS));
    await reader.forceFlush();
  });

  afterAll(() => {
    process.env.PATH = originalPath;
  });

  it('emits one jepa.system event per interval, and none after stop()', () => {
    // The first sample is one interval in, so never more samples than whole intervals elapsed.
    expect(recordsAtStop).toBeGreaterThanOrEqual(4);
    expect(recordsAtStop).toBeLessThanOrEqual(Math.floor(intervalsElapsed));
    expect(records.length).toBe(recordsAtStop);
    for (const record of records) expect(record.eventName).toBe(EventName.system);
    expect(diagnostics.messages).toEqual([]);
  });

  it('samples plausible host, process and runtime values under semantic-convention names', () => {
    const rssMin = Math.min(...rssSeen);
    const rssMax = Math.max(...rssSeen);
    for (const { attributes } of records) {
      const values = attributes as Record<string, number>;
      expect(values['process.memory.usage']).toBeGreaterThan(rssMin * 0.9);
      expect(values['process.memory.usage']).toBeLessThan(rssMax * 1.1);
      for (const name of [
        'system.cpu.utilization',
        'system.memory.utilization',
        'system.filesystem.utilization',
        'process.cpu.utilization',
        'nodejs.eventloop.utilization',
      ]) {
        expect(values[name], name).toBeGreaterThanOrEqual(0);
        expect(values[name], name).toBeLessThanOrEqual(1);
      }
      expect(values['v8js.memory.heap.used']).toBeGreaterThan(0);
      expect(values['system.memory.usage']).toBeGreaterThan(values['process.memory.usage']!);
      // The delay beyond the histogram's 10 ms resolution: small on a loop that keeps turning.
      expect(values['nodejs.eventloop.delay.p99']).toBeGreaterThanOrEqual(0);
      expect(values['nodejs.eventloop.delay.p99']).toBeLessThan(0.5);
      expect(values['nodejs.eventloop.delay.max']).toBeGreaterThanOrEqual(
        values['nodejs.eventloop.delay.p99']!,
      );
    }
  });

  it('reads every GPU nvidia-smi reports, each field under its hw.* name', () => {
    const values = records.at(-1)!.attributes as Record<string, number>;
    expect(values).toMatchObject({
      'hw.gpu.utilization/gpu0': 0.87,
      'hw.gpu.memory.utilization/gpu0': 0.45,
      'hw.gpu.memory.usage/gpu0': 30512 * 2 ** 20,
      'hw.gpu.memory.limit/gpu0': 40960 * 2 ** 20,
      'hw.temperature/gpu0': 71,
      'hw.power/gpu0': 245.31,
      'hw.power.limit/gpu0': 400,
      'hw.gpu.utilization/gpu1': 0.03,
      'hw.temperature/gpu1': 34,
    });
    expect(values).not.toHaveProperty('hw.power/gpu1');
  });

  it("records OTel gauges on the run's meters, GPUs told apart by hw.id", () => {
    const metrics = exported
      .getMetrics()
      .flatMap((r) => r.scopeMetrics)
      .flatMap((s) => s.metrics);
    const byName = new Map(metrics.map((metric) => [metric.descriptor.name, metric]));
    expect(byName.get('process.memory.usage')?.descriptor.unit).toBe('By');
    expect(byName.get('system.memory.usage')?.dataPoints[0]?.attributes).toEqual({
      'system.memory.state': 'used',
    });
    const gpu = byName.get('hw.gpu.utilization')!;
    expect(gpu.dataPoints.map((point) => [point.attributes['hw.id'], point.value])).toEqual([
      ['gpu0', 0.87],
      ['gpu1', 0.03],
    ]);
  });
});
