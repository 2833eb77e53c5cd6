/**
 * Issue 18, must-show 3 (Prometheus): a training process with `system_metrics` on and the `otlp`
 * backend sends its host, process and runtime gauges through our Collector build (the committed
 * otel-collector.yaml) to Prometheus, under their semantic-convention names as the Collector
 * translates them; the bridge, fed by the same Collector, writes them to TensorBoard as
 * `system/` scalars, as the process's own TensorBoard backend would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/test-env.mjs';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { eventually, type ManagedProcess, startProcess, stopAll } from '../support/processes.js';
import { type Pipeline, promQuery, SCRAPE_INTERVAL_MS, startPipeline } from './pipeline.js';

const RUN_ID = 'sysmet01';

/** Two seconds of rows, sampling system metrics every 0.2 s, sent over OTLP. */
const TRAINING = `
import { createLogger } from ${JSON.stringify(join(repoRoot, 'dist/index.js'))};
const logger = createLogger({
  backends: ['otlp'],
  run_name: 'system',
  system_metrics: true,
  system_metrics_interval: 0.2,
});
for (let step = 0; step < 100; step++) {
  logger.logMetrics({ 'train/loss': 1 / (step + 1) }, step);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await logger.finish();
`;

let out: string;
let pipeline: Pipeline;
let training: ManagedProcess | undefined;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'jepa-system-'));
  pipeline = await startPipeline({
    prometheus: true,
    bridgeConfig: {
      backends: ['tensorboard'],
      tensorboard: { log_dir: join(out, 'tensorboard'), flush_secs: 1 },
    },
  });
  training = startProcess('training', process.execPath, ['--input-type=module', '-e', TRAINING], {
    cwd: out,
    env: {
      JEPA_RUN_ID: RUN_ID,
      OTEL_EXPORTER_OTLP_ENDPOINT: pipeline.otlpHttp,
      OTEL_METRIC_EXPORT_INTERVAL: String(SCRAPE_INTERVAL_MS),
    },
  });
  const code = await training.exited;
  if (code !== 0) throw new Error(`training exited ${code}:\n${training.output()}`);
}, 300_000);

afterAll(async () => {
  await stopAll(training ? [training] : []);
  await pipeline?.stop();
  rmSync(out, { recursive: true, force: true });
});

describe('system metrics through the Collector', () => {
  it('reach Prometheus as the host, process and runtime series of the run', async () => {
    const series = await eventually('the system metrics in Prometheus', async () => {
      const found = await promQuery(
        pipeline.prometheusUrl,
        `{__name__=~"system_.*|process_.*|nodejs_.*|v8js_.*", jepa_run_id="${RUN_ID}"}`,
      );
      return found.length >= 10 ? found : undefined;
    });
    const value = (prefix: string) =>
      Number(series.find((s) => s.metric.__name__?.startsWith(prefix))?.value[1]);
    const names = series.map((s) => s.metric.__name__);
    expect(names).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^system_cpu_utilization/),
        expect.stringMatching(/^system_memory_usage/),
        expect.stringMatching(/^system_filesystem_utilization/),
        expect.stringMatching(/^process_cpu_utilization/),
        expect.stringMatching(/^nodejs_eventloop_delay_p99/),
        expect.stringMatching(/^v8js_memory_heap_used/),
      ]),
    );
    // A Node process holds tens of MB at least, and less than the machine has.
    expect(value('process_memory_usage')).toBeGreaterThan(20 * 2 ** 20);
    expect(value('process_memory_usage')).toBeLessThan(value('system_memory_usage'));
    expect(value('system_cpu_utilization')).toBeGreaterThanOrEqual(0);
    expect(value('system_cpu_utilization')).toBeLessThanOrEqual(1);
    const memory = series.find((s) => s.metric.__name__?.startsWith('system_memory_usage'))!;
    expect(memory.metric.system_memory_state).toBe('used');
  });

  it('reach the bridge, which writes them to TensorBoard as system/ scalars', async () => {
    const run = await eventually('the bridge to write system scalars', async () => {
      const accumulated = await accumulate(join(out, 'tensorboard', 'system'));
      return accumulated.scalars['system/process.memory.usage'] ? accumulated : undefined;
    });
    expect(run.scalars['system/process.memory.usage']!.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(run.scalars)).toEqual(
      expect.arrayContaining(['train/loss', 'system/system.cpu.utilization']),
    );
  });
});
