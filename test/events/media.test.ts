/**
 * Images in every `dataformats` (tensorboardX's add_image axis orders): the same pixels, given in
 * each order, encode to the same PNG, and through logImage reach TensorBoard (read back by its
 * event accumulator) and W&B (rows read with the wandb package's protobufs, the PNG files they name
 * decoded with PIL) as the same images.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DataFormats,
  encodeImages,
  type FormattedImages,
  type ImageInput,
} from '../../src/events/media.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { type RecordDict, readWandbFile } from '../exporters/wandb/wandb-python.js';
import { runPythonJson } from '../support/python.js';
import { parseWandbJson } from '../support/wandb-server.js';

// Height, width and channels all differ, so that a swapped axis changes the image.
const H = 3;
const W = 5;
const C = 3;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** A pixel value of image n: no pattern that a transposition would keep. */
const value = (n: number, y: number, x: number, c: number) =>
  (n * 89 + y * 53 + x * 29 + c * 101 + y * x * 7 + c * x * 13) % 256;

const hwc = (n: number) =>
  range(H).map((y) => range(W).map((x) => range(C).map((c) => value(n, y, x, c))));
const chw = (n: number) =>
  range(C).map((c) => range(H).map((y) => range(W).map((x) => value(n, y, x, c))));
const gray = range(H).map((y) => range(W).map((x) => value(0, y, x, 0)));
/** Image n as a RawImage of floats (0..1) in channel-planar order. */
const planar = (n: number) => ({
  data: Float32Array.from(chw(n).flat(2), (v) => v / 255),
  height: H,
  width: W,
  channels: C,
});

/** Each case: a tag, what logImage gets, and the same images as H x W x C (or H x W) arrays. */
const CASES: [string, FormattedImages, (number[][] | number[][][])[]][] = [
  ['HWC', { data: hwc(0), dataformats: 'HWC' }, [hwc(0)]],
  ['CHW', { data: chw(0), dataformats: 'CHW' }, [hwc(0)]],
  ['CHW-raw', { data: planar(0), dataformats: 'CHW' }, [hwc(0)]],
  ['HW', { data: gray, dataformats: 'HW' }, [gray]],
  ['NHWC', { data: [hwc(0), hwc(1)], dataformats: 'NHWC' }, [hwc(0), hwc(1)]],
  ['NCHW', { data: [chw(0), chw(1)], dataformats: 'NCHW' }, [hwc(0), hwc(1)]],
  ['NCHW-raw', { data: [planar(0), planar(1)], dataformats: 'NCHW' }, [hwc(0), hwc(1)]],
];

/** What a reader must decode: PIL's mode and the pixels row by row, channels interleaved. */
interface Decoded {
  width: number;
  height: number;
  mode: string;
  pixels: number[];
}
const decoded = (image: number[][] | number[][][]): Decoded => ({
  width: W,
  height: H,
  mode: Array.isArray(image[0]![0]) ? 'RGB' : 'L',
  pixels: image.flat(2),
});

const pngs = (input: ImageInput, dataformats?: DataFormats) =>
  encodeImages(input, dataformats).map((image) => Buffer.from(image.png).toString('base64'));

describe('encodeImages with dataformats', () => {
  it.each(CASES)('%s gives the PNG of the same pixels in HWC', (_, input, expected) => {
    expect(pngs(input)).toEqual(expected.flatMap((image) => pngs(image)));
    // The same as a second argument, as logImage's options will pass it.
    expect(pngs(input.data, input.dataformats)).toEqual(pngs(input));
  });

  it('keeps the default: HWC, HW or NHWC by depth', () => {
    expect(pngs(hwc(0))).toEqual(pngs(hwc(0), 'HWC'));
    expect(pngs(gray)).toEqual(pngs(gray, 'HW'));
    expect(pngs([hwc(0), hwc(1)])).toEqual(pngs([hwc(0), hwc(1)], 'NHWC'));
  });

  it('takes a list of images, each with its own dataformats', () => {
    const mixed = [
      { data: chw(0), dataformats: 'CHW' },
      { data: gray, dataformats: 'HW' },
    ] as const;
    expect(pngs(mixed)).toEqual([...pngs(hwc(0)), ...pngs(gray)]);
  });

  it('names dataformats when a PyTorch-style N x C x H x W batch comes without it', () => {
    expect(() => encodeImages([chw(0), chw(1)])).toThrow(
      "image: channels must be 1, 2, 3 or 4, got 5 (channels first? say dataformats 'CHW' or 'NCHW')",
    );
  });

  it.each([
    [
      'H x W as CHW',
      { data: gray, dataformats: 'CHW' },
      'CHW data must be arrays 3 levels deep, got 2',
    ],
    [
      'H x W x C as HW',
      { data: hwc(0), dataformats: 'HW' },
      'HW data must be arrays 2 levels deep, got 3',
    ],
    [
      'NCHW as NHWC',
      { data: [chw(0)], dataformats: 'NHWC' },
      "channels must be 1, 2, 3 or 4, got 5 (channels first? say dataformats 'CHW' or 'NCHW')",
    ],
    [
      'ragged rows',
      { data: [[[1, 2], [3]]], dataformats: 'CHW' },
      'CHW data with different numbers of columns',
    ],
    [
      'ragged channels',
      { data: [[[1], [2, 3]]], dataformats: 'HWC' },
      'HWC data with different numbers of channels',
    ],
    [
      'one image as a batch',
      { data: planar(0), dataformats: 'NCHW' },
      'NCHW data must be an array',
    ],
    [
      'a colour RawImage as HW',
      { data: planar(0), dataformats: 'HW' },
      'HW data has one channel, got a RawImage of 3',
    ],
    [
      'PNG bytes',
      { data: [new Uint8Array(8)], dataformats: 'NHWC' },
      'HWC data must be a RawImage or nested arrays',
    ],
    [
      'an unknown format',
      { data: gray, dataformats: 'WH' },
      'dataformats must be one of HWC, CHW, HW, NHWC, NCHW, got WH',
    ],
  ])('refuses %s', (_, input, message) => {
    expect(() => encodeImages(input as FormattedImages)).toThrow(
      new TypeError(`image: ${message}`),
    );
  });
});

describe('logImage with dataformats, read back by TensorBoard and W&B', () => {
  const STEP = 7;
  let tensorboard: Record<string, Decoded[]>;
  let wandbRow: Record<string, RecordDict>;
  let wandbRun: string;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'jepa-dataformats-'));
    const logger = createLogger(
      {
        backends: ['tensorboard', 'wandb'],
        run_name: 'formats',
        tensorboard: { log_dir: join(root, 'tensorboard') },
        wandb: { mode: 'offline', dir: root, project: 'formats' },
      },
      { env: {}, settings: { handle_signals: false } },
    );
    for (const [tag, input] of CASES) logger.logImage(tag, input, STEP);
    await logger.finish();

    const accumulated = await accumulate(join(root, 'tensorboard', 'formats'));
    tensorboard = Object.fromEntries(
      Object.entries(accumulated.images).map(([tag, events]) => [
        tag,
        events.map(({ width, height, mode, pixels }) => ({ width, height, mode, pixels })),
      ]),
    );
    const [run] = readdirSync(join(root, 'wandb'));
    wandbRun = join(root, 'wandb', run!);
    const wandbFile = readdirSync(wandbRun).find((f) => f.endsWith('.wandb'))!;
    const records = await readWandbFile(join(wandbRun, wandbFile));
    const history = records.find((r) => r.record.history)!.record.history;
    expect(Number(history.step?.num ?? 0)).toBe(STEP);
    wandbRow = Object.fromEntries(
      history.item.map((i: RecordDict) => [i.key, parseWandbJson(i.value_json)]),
    );
  });

  it.each(CASES)('%s: TensorBoard decodes the pixels logged', (tag, _, expected) => {
    // A batch is one series per image: the tag, then tag/1.
    const got = expected.map((_, i) => tensorboard[i === 0 ? tag : `${tag}/${i}`]);
    expect(got).toEqual(expected.map((image) => [decoded(image)]));
  });

  it.each(CASES)('%s: the W&B files decode to the pixels logged', async (tag, _, expected) => {
    const value = wandbRow[tag];
    const files: string[] = value._type === 'images/separated' ? value.filenames : [value.path];
    expect(value._type).toBe(expected.length === 1 ? 'image-file' : 'images/separated');
    const read = await runPythonJson<Decoded[]>(
      `
import json, sys
import numpy as np
from PIL import Image
images = [Image.open(path) for path in sys.argv[1:]]
print(json.dumps([{"width": i.width, "height": i.height, "mode": i.mode,
                   "pixels": np.asarray(i).reshape(-1).tolist()} for i in images]))
`,
      files.map((file) => join(wandbRun, 'files', file)),
    );
    expect(read).toEqual(expected.map(decoded));
  });
});
