/**
 * The encoders against golden records written by TensorBoard's own code
 * (test/fixtures/tensorboard/make_golden.py: its protobuf classes, its text and hparams summary
 * helpers, its RecordWriter): our bytes must be those bytes. The golden files are checked twice
 * over: regenerated here with TensorBoard's code, and read back with TensorBoard's accumulator,
 * which must see the inputs of inputs.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/events/events.js';
import {
  fileVersionEvent,
  histogramEvent,
  imageEvent,
  sessionEndEvent,
  sessionStartEvent,
  textEvent,
} from '../../../src/exporters/tensorboard/event-encoder.js';
import { frameRecord } from '../../../src/exporters/tensorboard/record.js';
import { ScalarRowEncoder } from '../../../src/exporters/tensorboard/scalar-row-encoder.js';
import { python } from '../../support/python.js';
import { accumulate } from './readers.js';

const fixtures = join(import.meta.dirname, '../../fixtures/tensorboard');
const inputs = JSON.parse(readFileSync(join(fixtures, 'inputs.json'), 'utf8'));
const golden = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));
const png = new Uint8Array(Buffer.from(inputs.image.pngBase64, 'base64'));

/** Our record for each golden file, from the same inputs. */
const ours: Record<string, () => Uint8Array> = {
  'file_version.bin': () => fileVersionEvent(inputs.fileVersion.timeMs),
  'scalars.bin': () => new ScalarRowEncoder().encode({ kind: 'metrics', ...inputs.scalars }),
  'scalarsAtStepZero.bin': () =>
    new ScalarRowEncoder().encode({ kind: 'metrics', ...inputs.scalarsAtStepZero }),
  'histogram.bin': () => histogramEvent({ kind: 'histogram', ...inputs.histogram }),
  'image.bin': () => imageEvent({ kind: 'image', ...inputs.image, png }),
  'text.bin': () => textEvent({ kind: 'text', ...inputs.text }),
  'session_start.bin': () =>
    sessionStartEvent(
      {
        kind: 'hparams',
        timeMs: inputs.hparams.timeMs,
        hparams: inputs.hparams.hparams,
        metrics: {},
      },
      inputs.hparams.step,
    ),
  'session_end.bin': () =>
    sessionEndEvent(
      inputs.sessionEnd.timeMs,
      inputs.sessionEnd.step,
      inputs.sessionEnd.status as RunStatus,
    ),
};

const scratch = mkdtempSync(join(tmpdir(), 'tb-golden-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('TensorBoard event encoder', () => {
  it.each(Object.keys(ours))('%s: our record is the golden record, byte for byte', (name) => {
    expect(Buffer.from(frameRecord(ours[name]!()))).toEqual(Buffer.from(golden(name)));
  });

  it('the golden files are what TensorBoard writes today', () => {
    const fresh = join(scratch, 'fresh');
    execFileSync(python, [join(fixtures, 'make_golden.py'), join(fixtures, 'inputs.json'), fresh]);
    for (const name of Object.keys(ours)) {
      expect(readFileSync(join(fresh, name)), name).toEqual(readFileSync(join(fixtures, name)));
    }
    expect(readdirSync(fresh).sort()).toEqual(Object.keys(ours).sort());
  });

  it("TensorBoard's accumulator reads the golden records as the inputs", async () => {
    const run = join(scratch, 'run');
    mkdirSync(run);
    const order = Object.keys(ours);
    writeFileSync(
      join(run, 'events.out.tfevents.1767268800.golden'),
      Buffer.concat(order.map((name) => golden(name))),
    );
    const seen = await accumulate(run);
    expect(seen.file_version).toBe(2);
    expect(Object.keys(seen.scalars).sort()).toEqual(Object.keys(inputs.scalars.values).sort());
    for (const [tag, value] of Object.entries<number>(inputs.scalars.values)) {
      const expected =
        tag === 'loss'
          ? [
              [100, 0.5],
              [0, 2.5],
            ]
          : [[100, Math.fround(value)]];
      expect(
        seen.scalars[tag]!.map(([step, v]) => [step, v]),
        tag,
      ).toEqual(expected);
    }
    const h = inputs.histogram.histogram;
    expect(seen.histograms['model.encoder.weight']).toEqual([
      {
        step: 7,
        wall_time: inputs.histogram.timeMs / 1000,
        min: h.min,
        max: h.max,
        num: h.count,
        sum: h.sum,
        sum_squares: h.sumSquares,
        bucket_limit: h.bucketLimits,
        bucket: h.bucketCounts,
      },
    ]);
    expect(seen.images.input_samples).toEqual([
      { step: 100, width: 3, height: 2, mode: 'RGB', pixels: inputs.image.pixels.flat(2) },
    ]);
    expect(seen.texts.notes).toEqual([{ step: 100, text: inputs.text.text }]);
    expect(seen.hparams.start).toEqual({
      hparams: inputs.hparams.shownAs,
      group_name: '',
      start_time_secs: inputs.hparams.timeMs / 1000,
    });
    expect(seen.hparams.end).toEqual({
      status: inputs.sessionEnd.statusCode,
      end_time_secs: inputs.sessionEnd.timeMs / 1000,
    });
  });
});
