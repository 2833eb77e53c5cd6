/**
 * Must-show 3: a Python script using only the standard OTel Python SDK and its OTLP/HTTP exporter
 * sends training events and gauges to our Collector, which forwards them to the bridge; TensorBoard's
 * own reader then finds every value at its step.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { eventually } from '../support/processes.js';
import { runPythonJson } from '../support/python.js';
import { bridgeStats, type Pipeline, startPipeline } from './pipeline.js';

const SCRIPT = readFileSync(join(import.meta.dirname, '../bridge/python/send_otlp.py'), 'utf8');
const RUN_ID = 'pythone2';

let out: string;
let pipeline: Pipeline;
beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'jepa-python-e2e-'));
  pipeline = await startPipeline({
    prometheus: false,
    bridgeConfig: {
      backends: ['tensorboard'],
      tensorboard: { log_dir: join(out, 'tensorboard'), flush_secs: 1 },
    },
  });
});
afterAll(async () => {
  await pipeline?.stop();
  rmSync(out, { recursive: true, force: true });
});

it('reaches TensorBoard through the Collector and the bridge, every value at its step', async () => {
  // The script talks to the Collector only, as any OTel SDK would (no token: the Collector's
  // receiver is open; the Collector authenticates itself to the bridge).
  const sent = await runPythonJson<{ sent: boolean }>(SCRIPT, [
    pipeline.otlpHttp,
    RUN_ID,
    '0',
    'gzip',
  ]);
  expect(sent.sent).toBe(true);
  await eventually('the rows to reach the bridge', async () => {
    const stats = await bridgeStats(pipeline);
    // Five rows as events, three made from the gauges' collections, one text.
    return (stats.events['jepa.metrics'] ?? 0) >= 8 && (stats.events['jepa.text'] ?? 0) >= 1
      ? true
      : undefined;
  });
  expect(await pipeline.stopBridge()).toBe(0);

  expect(readdirSync(join(out, 'tensorboard'))).toEqual([`py-${RUN_ID}`]);
  const run = await accumulate(join(out, 'tensorboard', `py-${RUN_ID}`));
  const loss = run.scalars['train/loss']!;
  expect(loss.map(([step]) => step)).toEqual([0, 1, 2, 3, 4]);
  loss.forEach(([step, value]) => {
    expect(Number(value)).toBeCloseTo(1 / (step + 1), 6);
  });
  // Gauges collected at steps 2 and 4, and once more when the SDK shut down.
  const util = run.scalars['gpu/util']!;
  expect(util.map(([step]) => step)).toEqual([2, 4, 4]);
  expect(util.map(([, value]) => Number(value))).toEqual([
    Math.fround(0.2),
    Math.fround(0.4),
    Math.fround(0.4),
  ]);
  expect(run.texts.notes).toEqual([{ step: 4, text: 'from python' }]);
});
