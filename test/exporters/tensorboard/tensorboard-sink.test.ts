import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import type { HistogramData } from '../../../src/events/events.js';
import { encodeImages } from '../../../src/events/media.js';
import { TensorBoardSink } from '../../../src/exporters/tensorboard/tensorboard-sink.js';
import { accumulate } from './readers.js';

const scratch = mkdtempSync(join(tmpdir(), 'tb-sink-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const timeMs = 1_767_268_800_000;
const histogram: HistogramData = {
  min: 0,
  max: 2,
  count: 3,
  sum: 3,
  sumSquares: 5,
  bucketLimits: [1, 2],
  bucketCounts: [2, 1],
};
const [image] = encodeImages({ data: [0, 128, 255, 64], height: 2, width: 2, channels: 1 });

function sink(
  name: string,
  options: Partial<ConstructorParameters<typeof TensorBoardSink>[0]> = {},
) {
  const diagnostics = new CollectingDiagnostics();
  const runDir = join(scratch, name);
  return { diagnostics, runDir, sink: new TensorBoardSink({ runDir, diagnostics, ...options }) };
}

describe('TensorBoardSink', () => {
  it('writes every kind of event where TensorBoard reads it', async () => {
    const { sink: tb, runDir } = sink('all');
    tb.writeHparams({
      kind: 'hparams',
      timeMs,
      hparams: { lr: 0.1 },
      metrics: { 'hp/best': 0.25 },
    });
    tb.writeMetrics({ kind: 'metrics', timeMs, step: 5, values: { loss: 1.5, acc: 0.5 } });
    tb.writeHistogram({ kind: 'histogram', timeMs, step: 5, tag: 'w', histogram });
    tb.writeImage({ kind: 'image', timeMs, step: 5, tag: 'img', index: 0, ...image! });
    tb.writeImage({ kind: 'image', timeMs, step: 5, tag: 'img', index: 1, ...image! });
    tb.writeText({ kind: 'text', timeMs, step: 5, tag: 'notes', text: '*hi*' });
    tb.writeRunEnd({ kind: 'runEnd', timeMs: timeMs + 1000, exitCode: 1, status: 'failed' });
    await tb.shutdown();
    const seen = await accumulate(runDir);
    expect(seen.scalars.loss!.map(([s, v]) => [s, v])).toEqual([[5, 1.5]]);
    expect(seen.scalars.acc!.map(([s, v]) => [s, v])).toEqual([[5, 0.5]]);
    // Logged before any row: placed at step 0.
    expect(seen.scalars['hp/best']!.map(([s, v]) => [s, v])).toEqual([[0, 0.25]]);
    expect(seen.histograms.w!.map((h) => [h.step, h.num, h.min, h.max])).toEqual([[5, 3, 0, 2]]);
    expect(Object.keys(seen.images).sort()).toEqual(['img', 'img/1']);
    expect(seen.images.img![0]!.pixels).toEqual([0, 128, 255, 64]);
    expect(seen.texts.notes).toEqual([{ step: 5, text: '*hi*' }]);
    expect(seen.hparams.start!.hparams).toEqual({ lr: 0.1 });
    expect(seen.hparams.end).toEqual({ status: 2, end_time_secs: (timeMs + 1000) / 1000 });
  });

  it('drops images and histograms when told to', async () => {
    const { sink: tb, runDir } = sink('no-media', { logImages: false, logHistograms: false });
    tb.writeHistogram({ kind: 'histogram', timeMs, step: 1, tag: 'w', histogram });
    tb.writeImage({ kind: 'image', timeMs, step: 1, tag: 'img', index: 0, ...image! });
    tb.writeMetrics({ kind: 'metrics', timeMs, step: 1, values: { loss: 1 } });
    await tb.shutdown();
    const seen = await accumulate(runDir);
    expect(seen.histograms).toEqual({});
    expect(seen.images).toEqual({});
    expect(Object.keys(seen.scalars)).toEqual(['loss']);
  });

  it('writes no session end without hyperparameters, and warns when they come twice', async () => {
    const { sink: tb, runDir, diagnostics } = sink('hparams');
    tb.writeRunEnd({ kind: 'runEnd', timeMs, exitCode: 0, status: 'finished' });
    const plain = await accumulate(runDir);
    expect(plain.tensors).toEqual([]);
    tb.writeHparams({ kind: 'hparams', timeMs, hparams: { a: 1 }, metrics: {} });
    tb.writeHparams({ kind: 'hparams', timeMs, hparams: { a: 2 }, metrics: {} });
    await tb.shutdown();
    expect(diagnostics.at('WARNING')).toEqual([expect.stringMatching(/shows the first/)]);
    expect((await accumulate(runDir)).hparams.start!.hparams).toEqual({ a: 1 });
  });

  it('masks hyperparameters under secret names, as config dumps do', async () => {
    const { sink: tb, runDir } = sink('secret-hparams');
    tb.writeHparams({
      kind: 'hparams',
      timeMs,
      hparams: { lr: 0.1, api_key: 'k'.repeat(40), wandb: { token: 't0ken' } },
      metrics: {},
    });
    await tb.shutdown();
    expect((await accumulate(runDir)).hparams.start!.hparams).toEqual({
      lr: 0.1,
      api_key: '***',
      'wandb/token': '***',
    });
  });

  it('names an event it cannot encode by its tag, escaped', async () => {
    const { sink: tb, diagnostics } = sink('bad-event');
    tb.writeHistogram({
      kind: 'histogram',
      timeMs,
      step: 1,
      tag: 'h\nERROR - run finished',
      histogram: null as unknown as HistogramData,
    });
    await tb.shutdown();
    expect(diagnostics.at('WARNING')).toEqual([
      expect.stringMatching(
        /^TensorBoard: a histogram 'h\\nERROR - run finished' could not be encoded/,
      ),
    ]);
  });

  it('flushes on its interval, without being asked', async () => {
    const { sink: tb } = sink('timer', { flushSecs: 0.05 });
    const size = statSync(tb.path).size;
    tb.writeMetrics({ kind: 'metrics', timeMs, step: 1, values: { loss: 1 } });
    expect(statSync(tb.path).size).toBe(size);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(statSync(tb.path).size).toBeGreaterThan(size);
    await tb.shutdown();
  });
});
