/**
 * A randomised run (1,000 steps x 20 scalar tags, 50 histograms, 10 images, text, hparams) through
 * TensorBoardLogger, read back by TensorBoard's own code: the event accumulator (every value, zero
 * differences), the CRC-checking record reader, and the `tensorboard` server's HTTP API. The seed
 * is random and printed; set TB_TEST_SEED to replay one.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OTelHistogramPoint, RawImage } from '../../../src/events/media.js';
import { TensorBoardLogger } from '../../../src/loggers/tensorboard-logger.js';
import {
  type AccumulatedRun,
  accumulate,
  type PyNumber,
  poll,
  readRecords,
  startTensorBoard,
  type TensorBoardServer,
} from './readers.js';

const seed = Number(process.env.TB_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUN = 'random-run';
const STEPS = 1000;

/** mulberry32: small, seedable, good enough to pick test data. */
function prng(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(seed);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

const TAGS = [
  'train/loss',
  'train/acc',
  'val/loss',
  'val/acc',
  'lr',
  'grad_norm',
  'time/step',
  'time/data',
  'gpu/0/memory',
  'gpu/1/memory',
  'throughput',
  'epoch',
  'métrique/λ',
  'tiny',
  'huge',
  'negative',
  'integer',
  'edge/non-finite',
  'edge/float32-limits',
  'with space',
];

/** A value of the kind `tag` is meant to test. */
function scalarFor(tag: string, step: number): number {
  switch (tag) {
    case 'tiny':
      return (random() - 0.5) * 10 ** -(30 + int(15)); // down to float32 subnormals and zero
    case 'huge':
      return random() * 10 ** (20 + int(18));
    case 'negative':
      return -random() * 1000;
    case 'integer':
    case 'epoch':
      return tag === 'epoch' ? Math.floor(step / 100) : int(2 ** 31);
    case 'edge/non-finite':
      return pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, random()]);
    case 'edge/float32-limits':
      return pick([3.4028234663852886e38, 3.5e38, -3.5e38, 1.4e-45, 1e-46, -0, 0]);
    default:
      return Math.exp((random() - 0.5) * 10) * (random() < 0.5 ? 1 : -1);
  }
}

/** How TensorBoard (Python) spells a float32. */
function asFloat32(value: number): PyNumber {
  const f = Math.fround(value);
  if (Number.isNaN(f)) return 'nan';
  if (!Number.isFinite(f)) return f > 0 ? 'inf' : '-inf';
  return f;
}

interface LoggedHistogram {
  tag: string;
  step: number;
  count: number;
  min: number;
  max: number;
}
interface LoggedImage {
  tag: string;
  step: number;
  width: number;
  height: number;
  mode: string;
  pixels: number[];
}

const MODES = ['L', 'LA', 'RGB', 'RGBA'];
const scratch = mkdtempSync(join(tmpdir(), 'tb-readback-'));
const logDir = join(scratch, 'logs');
const rows: Record<string, [number, PyNumber][]> = {};
const histograms: LoggedHistogram[] = [];
const images: LoggedImage[] = [];
const texts: Record<string, { step: number; text: string }[]> = {};
let runDir: string;
let seen: AccumulatedRun;

function randomPixels(width: number, height: number, channels: number): number[] {
  return Array.from({ length: width * height * channels }, () => int(256));
}

/** An image as one of the inputs logImage takes, and the pixels TensorBoard must decode. */
function randomImage(): {
  input: Uint8Array | RawImage | unknown[];
  image: Omit<LoggedImage, 'tag' | 'step'>;
} {
  const width = 1 + int(24);
  const height = 1 + int(24);
  const channels = 1 + int(4);
  const pixels = randomPixels(width, height, channels);
  const image = { width, height, mode: MODES[channels - 1]!, pixels };
  switch (int(4)) {
    case 0: {
      // PNG bytes, RGBA, encoded here with pngjs.
      const rgba = randomPixels(width, height, 4);
      const png = Object.assign(new PNG({ width, height }), { data: Buffer.from(rgba) });
      const bytes = new Uint8Array(PNG.sync.write(png, { colorType: 6 }));
      return { input: bytes, image: { width, height, mode: 'RGBA', pixels: rgba } };
    }
    case 1:
      return { input: { data: Uint8Array.from(pixels), width, height, channels }, image };
    case 2:
      // Floats are 0..1; k/255 maps back to k exactly.
      return {
        input: { data: Float32Array.from(pixels, (p) => p / 255), width, height, channels },
        image,
      };
    default: {
      // Nested arrays, H x W (gray) or H x W x C.
      const at = (y: number, x: number) =>
        pixels.slice((y * width + x) * channels, (y * width + x + 1) * channels);
      const nested = Array.from({ length: height }, (_, y) =>
        Array.from({ length: width }, (_, x) => (channels === 1 ? at(y, x)[0] : at(y, x))),
      );
      return { input: nested, image };
    }
  }
}

beforeAll(async () => {
  const logger = new TensorBoardLogger(
    { log_dir: logDir, flush_secs: 1 },
    { settings: { handle_signals: false, run_name: RUN }, env: {} },
  );
  runDir = logger.runDir!;
  logger.logHyperparams(
    {
      lr: 3e-4,
      optimizer: 'adamw',
      model: { depth: 12, dropout: 0.1 },
      amp: true,
      betas: [0.9, 0.95],
    },
    { 'hparam/target_loss': 0.125 },
  );
  rows['hparam/target_loss'] = [[0, 0.125]];
  for (let step = 0; step < STEPS; step++) {
    const row: Record<string, number> = {};
    for (const tag of TAGS) {
      row[tag] = scalarFor(tag, step);
      rows[tag] ??= [];
      rows[tag].push([step, asFloat32(row[tag])]);
    }
    logger.logMetrics(row, step);

    if (step % 20 === 7) {
      const tag = `layer${histograms.length % 5}/weights`;
      if (histograms.length === 25) {
        // An OTel histogram point, as a metric reader exports it.
        const point: OTelHistogramPoint = {
          count: 10,
          min: -4,
          max: 9,
          sum: 12,
          buckets: { boundaries: [0, 5], counts: [3, 4, 3] },
        };
        logger.logHistogram(tag, point, step);
        histograms.push({ tag, step, count: 10, min: -4, max: 9 });
      } else {
        const n = 1 + int(3000);
        const scale = 10 ** (int(7) - 3);
        const values = Float64Array.from({ length: n }, () => (random() - 0.3) * scale);
        // Non-finite values are left out (with a warning), the rest counted.
        const withGaps = int(4) === 0 ? [...values, Number.NaN, Number.POSITIVE_INFINITY] : values;
        logger.logHistogram(tag, withGaps, step);
        histograms.push({
          tag,
          step,
          count: n,
          min: Math.min(...values),
          max: Math.max(...values),
        });
      }
    }
    if (step % 150 === 42) {
      const tag = pick(['samples/input', 'samples/output']);
      const { input, image } = randomImage();
      logger.logImage(tag, input, step);
      images.push({ tag, step, ...image });
    }
    if (step % 200 === 99) {
      const tag = pick(['notes', 'notes/détails']);
      const text = `# Step ${step}\n\n*seed* ${seed}: ${'αβγ 🚀 '.repeat(1 + int(5))}\n\n| k | v |\n|---|---|\n| x | ${random()} |`;
      logger.logText(tag, text, step);
      texts[tag] ??= [];
      texts[tag].push({ step, text });
    }
  }
  // A batch of three images, logged at once: `samples/batch`, `samples/batch/1`, `/2`.
  const batch = [randomImage(), randomImage(), randomImage()].map((b) => b.image);
  logger.logImage(
    'samples/batch',
    batch.map((b) => ({
      data: Uint8Array.from(b.pixels),
      width: b.width,
      height: b.height,
      channels: MODES.indexOf(b.mode) + 1,
    })),
    STEPS - 1,
  );
  for (const [i, b] of batch.entries()) {
    images.push({ tag: i === 0 ? 'samples/batch' : `samples/batch/${i}`, step: STEPS - 1, ...b });
  }
  await logger.finish();
  seen = await accumulate(runDir);
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe(`a randomised run read back by TensorBoard (seed ${seed})`, () => {
  it('is one event file in log_dir/<run>', () => {
    expect(images).toHaveLength(10);
    expect(histograms).toHaveLength(50);
    expect(readdirSync(logDir)).toEqual([RUN]);
    expect(readdirSync(runDir)).toEqual([expect.stringMatching(/^events\.out\.tfevents\./)]);
    expect(seen.file_version).toBe(2);
  });

  it('has every scalar, exact as float32, at its step', () => {
    const got = Object.fromEntries(
      Object.entries(seen.scalars).map(([tag, events]) => [tag, events.map(([s, v]) => [s, v])]),
    );
    expect(got).toEqual(rows);
  });

  it('has every histogram: counts total the values logged, min and max right', () => {
    const got = Object.entries(seen.histograms).flatMap(([tag, events]) =>
      events.map((h) => {
        expect(
          h.bucket.reduce((a, b) => a + b, 0),
          `${tag}@${h.step}`,
        ).toBe(h.num);
        return { tag, step: h.step, count: h.num, min: h.min, max: h.max };
      }),
    );
    const order = (a: { step: number }, b: { step: number }) => a.step - b.step;
    expect(got.sort(order)).toEqual([...histograms].sort(order));
  });

  it('has every image, decoding to the pixels logged', () => {
    const got = Object.entries(seen.images).flatMap(([tag, events]) =>
      events.map((e) => ({ tag, ...e })),
    );
    const order = (a: LoggedImage, b: LoggedImage) => a.step - b.step || a.tag.localeCompare(b.tag);
    expect(got.sort(order)).toEqual([...images].sort(order));
  });

  it('has the text and the hyperparameters as logged', () => {
    expect(seen.texts).toEqual(texts);
    expect(seen.hparams.start).toEqual({
      hparams: {
        lr: 3e-4,
        optimizer: 'adamw',
        'model/depth': 12,
        'model/dropout': 0.1,
        amp: true,
        betas: '[0.9,0.95]',
      },
      group_name: '',
      start_time_secs: expect.any(Number),
    });
    expect(seen.hparams.end).toEqual({ status: 1, end_time_secs: expect.any(Number) });
  });

  it("passes TensorBoard's CRC-checking record reader, every record", async () => {
    const files = readdirSync(runDir).map((name) => join(runDir, name));
    const [read] = await readRecords(files);
    // file_version, hparams start and its metrics row, the rows, histograms, images, texts, end.
    const texts = Object.values(seen.texts).flat().length;
    expect(read).toEqual({
      path: files[0],
      records: 1 + 2 + STEPS + 50 + 10 + texts + 1,
      last_step: STEPS - 1,
      error: null,
    });
  });

  describe('served by the tensorboard server', () => {
    let server: TensorBoardServer;
    beforeAll(async () => {
      server = await startTensorBoard(logDir);
    }, 90_000);
    afterAll(() => server?.stop());

    it('lists the run and its tags, and returns every scalar', async () => {
      const runs = await poll(async () => {
        const listed = await server.get<string[]>('/data/runs');
        return listed.length > 0 ? listed : undefined;
      }, 'the run to load');
      expect(runs).toEqual([RUN]);
      const tags = await poll(async () => {
        const all = await server.get<Record<string, Record<string, unknown>>>(
          '/data/plugin/scalars/tags',
        );
        const ours = Object.keys(all[RUN] ?? {});
        return ours.length === Object.keys(rows).length ? ours : undefined;
      }, 'every scalar tag');
      expect(tags.sort()).toEqual(Object.keys(rows).sort());
      // The server spells non-finite values as JSON strings.
      const spelled: Record<string, string> = { NaN: 'nan', Infinity: 'inf', '-Infinity': '-inf' };
      for (const tag of Object.keys(rows)) {
        const query = `run=${encodeURIComponent(RUN)}&tag=${encodeURIComponent(tag)}`;
        // Loading goes on in the background: wait until the tag has all its points.
        const points = await poll(async () => {
          const served = await server.get<[number, number, number | string][]>(
            `/data/plugin/scalars/scalars?${query}`,
          );
          return served.length >= rows[tag]!.length ? served : undefined;
        }, `every point of ${tag}`);
        const got = points.map(([, step, v]) => [step, typeof v === 'string' ? spelled[v] : v]);
        expect(got, tag).toEqual(rows[tag]);
      }
    });

    it('shows the run in the hparams dashboard with its hyperparameters and status', async () => {
      type Groups = {
        sessionGroups: {
          name: string;
          hparams: Record<string, unknown>;
          sessions: { status: string }[];
        }[];
      };
      // The session's end is the file's last record: wait until the server has read it.
      const groups = await poll(async () => {
        const listed = await server.post<Groups>('/data/plugin/hparams/session_groups', {
          experimentName: '',
          allowedStatuses: ['STATUS_UNKNOWN', 'STATUS_SUCCESS', 'STATUS_FAILURE', 'STATUS_RUNNING'],
          colParams: [],
          startIndex: 0,
          sliceSize: 10,
        });
        const status = listed.sessionGroups[0]?.sessions[0]?.status;
        return status && status !== 'STATUS_UNKNOWN' ? listed : undefined;
      }, 'the session end');
      expect(groups.sessionGroups).toHaveLength(1);
      const [group] = groups.sessionGroups;
      expect(group!.name).toBe(RUN);
      expect(group!.hparams).toEqual({
        lr: 3e-4,
        optimizer: 'adamw',
        'model/depth': 12,
        'model/dropout': 0.1,
        amp: true,
        betas: '[0.9,0.95]',
      });
      expect(group!.sessions.map((s) => s.status)).toEqual(['STATUS_SUCCESS']);
    });

    it('serves the histograms, images and text', async () => {
      const q = (tag: string) => `run=${encodeURIComponent(RUN)}&tag=${encodeURIComponent(tag)}`;
      const histogramTag = histograms[0]!.tag;
      const served = await server.get<unknown[]>(
        `/data/plugin/histograms/histograms?${q(histogramTag)}`,
      );
      expect(served).toHaveLength(histograms.filter((h) => h.tag === histogramTag).length);
      const imageTag = images[0]!.tag;
      const servedImages = await server.get<{ step: number }[]>(
        `/data/plugin/images/images?${q(imageTag)}&sample=0`,
      );
      expect(servedImages.map((i) => i.step)).toEqual(
        images.filter((i) => i.tag === imageTag).map((i) => i.step),
      );
      const [textTag, logged] = Object.entries(texts)[0]!;
      const servedText = await server.get<{ step: number; text: string }[]>(
        `/data/plugin/text/text?${q(textTag)}`,
      );
      expect(servedText.map((t) => t.step)).toEqual(logged.map((t) => t.step));
      expect(servedText[0]!.text).toContain(`Step ${logged[0]!.step}`);
    });
  });
});
