/**
 * Pure conversions from what users pass to `logHistogram` / `logImage` into the data the events
 * carry: histogram buckets and PNG images.
 */
import { lazyModule } from '../lazy-module.js';
import type { EncodedImage, HistogramData } from './events.js';

const pngjs = lazyModule<typeof import('pngjs')>('pngjs');

/** An OTel SDK histogram point (`@opentelemetry/sdk-metrics` `Histogram`). */
export interface OTelHistogramPoint {
  readonly min?: number;
  readonly max?: number;
  readonly count: number;
  readonly sum?: number;
  readonly buckets: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
}

/** Values as arrays, typed arrays or nested arrays (a tensor's `arraySync()`), or an OTel point. */
export type HistogramInput = ArrayLike<unknown> | Iterable<unknown> | OTelHistogramPoint;

/** Raw pixels, in height x width x channels order unless `dataformats` says `CHW`. */
export interface RawImage {
  readonly data: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  readonly channels: number;
}

/**
 * The order of an image array's axes, as tensorboardX's `add_image` `dataformats`: N images,
 * C channels, H rows, W columns. PyTorch tensors are `CHW` / `NCHW`, TensorFlow's `HWC` / `NHWC`.
 */
export type DataFormats = 'HWC' | 'CHW' | 'HW' | 'NHWC' | 'NCHW';
const DATAFORMATS: readonly DataFormats[] = ['HWC', 'CHW', 'HW', 'NHWC', 'NCHW'];

/** The formats of one image: a leading N is the outer array of a batch. */
type SingleFormat = 'HWC' | 'CHW' | 'HW';

/**
 * Image data with the order of its axes: nested arrays as deep as `dataformats` is long (a
 * tensor's `arraySync()`), or a `RawImage` whose `data` is in `HWC` or `CHW` order; with `N`, an
 * array of such images.
 */
export interface FormattedImages {
  readonly data: RawImage | readonly unknown[];
  readonly dataformats: DataFormats;
}

/**
 * One image or a batch: PNG bytes, a `RawImage`, nested arrays H x W x C (H x W for gray, N x H x W
 * x C for a batch), or any array data with its `dataformats`. Uint8 data and plain numbers are
 * 0..255; Float32Array / Float64Array data is 0..1, as TensorBoard's writers take floats.
 */
export type ImageInput = Uint8Array | RawImage | FormattedImages | readonly unknown[];

export const DEFAULT_HISTOGRAM_BINS = 64;

/**
 * Buckets `values` into `bins` equal-width buckets between their min and max; non-finite values
 * are left out and counted in `skipped`. `undefined` when no finite value remains.
 */
export function histogramOf(
  input: HistogramInput,
  bins = DEFAULT_HISTOGRAM_BINS,
): { histogram: HistogramData | undefined; skipped: number } {
  if (isOTelPoint(input)) return { histogram: fromOTelHistogramPoint(input), skipped: 0 };
  const values = Float64Array.from(flattenNumbers(input));
  let skipped = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let count = 0;
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      skipped++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    count++;
    sum += v;
    sumSquares += v * v;
  }
  if (count === 0) return { histogram: undefined, skipped };
  const bucketCount = min === max ? 1 : Math.max(1, Math.floor(bins));
  const width = (max - min) / bucketCount;
  const bucketLimits = Array.from({ length: bucketCount }, (_, i) =>
    i === bucketCount - 1 ? max : min + width * (i + 1),
  );
  const bucketCounts = new Array<number>(bucketCount).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    // Buckets are (left, right]; the minimum itself belongs to the first.
    const index =
      width === 0 ? 0 : Math.min(bucketCount - 1, Math.max(0, Math.ceil((v - min) / width) - 1));
    bucketCounts[index]!++;
  }
  return { histogram: { min, max, count, sum, sumSquares, bucketLimits, bucketCounts }, skipped };
}

function isOTelPoint(input: HistogramInput): input is OTelHistogramPoint {
  return (
    typeof input === 'object' &&
    input !== null &&
    'buckets' in input &&
    typeof (input as OTelHistogramPoint).buckets === 'object'
  );
}

/** OTel explicit buckets are (b[i-1], b[i]] with an open last bucket: its right edge is the max. */
export function fromOTelHistogramPoint(point: OTelHistogramPoint): HistogramData | undefined {
  const { boundaries, counts } = point.buckets;
  if (point.count === 0 || counts.length !== boundaries.length + 1) return undefined;
  const last = boundaries[boundaries.length - 1] ?? Number.NEGATIVE_INFINITY;
  const max = point.max ?? last;
  return {
    min: point.min ?? boundaries[0] ?? max,
    max,
    count: point.count,
    sum: point.sum ?? Number.NaN,
    sumSquares: Number.NaN,
    bucketLimits: [...boundaries, Math.max(max, last)],
    bucketCounts: [...counts],
  };
}

function* flattenNumbers(input: unknown): Generator<number> {
  if (typeof input === 'number') {
    yield input;
  } else if (typeof input === 'bigint') {
    yield Number(input);
  } else if (ArrayBuffer.isView(input) && !(input instanceof DataView)) {
    for (const v of Array.from(input as unknown as ArrayLike<number | bigint>)) yield Number(v);
  } else if (typeof input === 'object' && input !== null && Symbol.iterator in input) {
    for (const item of input as Iterable<unknown>) yield* flattenNumbers(item);
  } else if (typeof input === 'object' && input !== null && 'length' in input) {
    for (const item of Array.from(input as ArrayLike<unknown>)) yield* flattenNumbers(item);
  } else {
    yield Number.NaN;
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Splits `input` into single images and encodes each as PNG. Without `dataformats` (here or in
 * the input), nested arrays are H x W, H x W x C or N x H x W x C by their depth. Throws a
 * TypeError naming the problem.
 */
export function encodeImages(input: ImageInput, dataformats?: DataFormats): EncodedImage[] {
  if (isFormatted(input)) return encodeImages(input.data, input.dataformats);
  if (dataformats !== undefined) return encodeFormatted(input, dataformats);
  if (input instanceof Uint8Array) return [pngInfo(input)];
  if (isRawImage(input)) return [encodeRaw(input, 'HWC')];
  if (!Array.isArray(input))
    throw new TypeError('image: expected PNG bytes, a RawImage or nested arrays');
  const depth = arrayDepth(input);
  // A batch is a list of images: PNGs, RawImages or formatted ones, or nested arrays one level
  // deeper than HWC.
  const isImage = (item: unknown) =>
    item instanceof Uint8Array || isRawImage(item) || isFormatted(item);
  if (input.every(isImage) || depth === 4) {
    return input.flatMap((item) => encodeImages(item as ImageInput));
  }
  if (depth !== 2 && depth !== 3) {
    throw new TypeError(`image: nested arrays must be H x W or H x W x C, got ${depth} levels`);
  }
  const format = depth === 2 ? 'HW' : 'HWC';
  return [encodeRaw(nestedToRaw(input, format), format)];
}

function encodeFormatted(input: unknown, dataformats: DataFormats): EncodedImage[] {
  if (!DATAFORMATS.includes(dataformats)) {
    throw new TypeError(
      `image: dataformats must be one of ${DATAFORMATS.join(', ')}, got ${String(dataformats)}`,
    );
  }
  if (dataformats[0] !== 'N') return [encodeSingle(input, dataformats as SingleFormat)];
  if (!Array.isArray(input)) throw new TypeError(`image: ${dataformats} data must be an array`);
  const format = dataformats.slice(1) as SingleFormat;
  return input.map((item) => encodeSingle(item, format));
}

function encodeSingle(input: unknown, format: SingleFormat): EncodedImage {
  if (isRawImage(input)) {
    if (format === 'HW' && input.channels !== 1) {
      throw new TypeError(`image: HW data has one channel, got a RawImage of ${input.channels}`);
    }
    return encodeRaw(input, format);
  }
  if (Array.isArray(input)) return encodeRaw(nestedToRaw(input, format), format);
  // PNG bytes carry their own layout: dataformats describe arrays only.
  throw new TypeError(`image: ${format} data must be a RawImage or nested arrays`);
}

function isFormatted(value: unknown): value is FormattedImages {
  return typeof value === 'object' && value !== null && 'dataformats' in value && 'data' in value;
}

function pngInfo(bytes: Uint8Array): EncodedImage {
  if (!isPng(bytes))
    throw new TypeError('image: Uint8Array input must be PNG bytes (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const colorType = bytes[25];
  const channels = colorType === 0 ? 1 : colorType === 4 ? 2 : colorType === 6 ? 4 : 3;
  return { png: bytes, width: view.getUint32(16), height: view.getUint32(20), channels };
}

function isRawImage(value: unknown): value is RawImage {
  return typeof value === 'object' && value !== null && 'data' in value && 'width' in value;
}

/** Arrays, and typed arrays below the top level (at the top, a Uint8Array is PNG bytes). */
function isNestedLevel(value: unknown, depth: number): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && depth > 0);
}

function arrayDepth(value: unknown): number {
  let depth = 0;
  let current = value;
  while (isNestedLevel(current, depth)) {
    depth++;
    current = current[0];
  }
  return depth;
}

const AXES: Readonly<Record<string, string>> = { H: 'rows', W: 'columns', C: 'channels' };

/**
 * The values of nested arrays, as deep as `format` is long, in their order (so `CHW` data stays
 * channel by channel), with the sizes `format` gives its axes. Throws unless every level is
 * rectangular.
 */
function nestedToRaw(nested: readonly unknown[], format: SingleFormat): RawImage {
  const shape: number[] = [];
  for (let level: unknown = nested; isNestedLevel(level, shape.length); level = level[0]) {
    shape.push(level.length);
  }
  if (shape.length !== format.length) {
    throw new TypeError(
      `image: ${format} data must be arrays ${format.length} levels deep, got ${shape.length}`,
    );
  }
  const data: number[] = [];
  const collect = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      data.push(Number(node));
      return;
    }
    if (!isNestedLevel(node, depth) || node.length !== shape[depth]) {
      throw new TypeError(
        `image: ${format} data with different numbers of ${AXES[format[depth]!]}`,
      );
    }
    for (let i = 0; i < node.length; i++) collect(node[i], depth + 1);
  };
  collect(nested, 0);
  const size = (axis: string) => shape[format.indexOf(axis)] ?? 1;
  return { data, height: size('H'), width: size('W'), channels: size('C') };
}

/** Encodes `image`, whose data is in `format` order (HW is HWC with one channel). */
function encodeRaw(image: RawImage, format: SingleFormat): EncodedImage {
  const { data, height, width, channels } = image;
  if (![1, 2, 3, 4].includes(channels)) {
    // Most often channels-first data (PyTorch's) read as channels-last.
    throw new TypeError(
      `image: channels must be 1, 2, 3 or 4, got ${channels} (channels first? say dataformats 'CHW' or 'NCHW')`,
    );
  }
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new TypeError(
      `image: height and width must be positive integers, got ${height} x ${width}`,
    );
  }
  if (data.length !== height * width * channels) {
    throw new TypeError(
      `image: ${data.length} values for ${height} x ${width} x ${channels} (expected ${height * width * channels})`,
    );
  }
  const scale = data instanceof Float32Array || data instanceof Float64Array ? 255 : 1;
  const pixels = height * width;
  const rgba = Buffer.alloc(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const at = (c: number) => {
      const index = format === 'CHW' ? c * pixels + p : p * channels + c;
      const v = Math.round(Number(data[index]) * scale);
      return Number.isNaN(v) ? 0 : Math.min(255, Math.max(0, v));
    };
    const gray = channels <= 2;
    rgba[p * 4] = at(0);
    rgba[p * 4 + 1] = gray ? at(0) : at(1);
    rgba[p * 4 + 2] = gray ? at(0) : at(2);
    rgba[p * 4 + 3] = channels === 2 ? at(1) : channels === 4 ? at(3) : 255;
  }
  const colorType = channels === 1 ? 0 : channels === 2 ? 4 : channels === 3 ? 2 : 6;
  const { PNG } = pngjs();
  const png = PNG.sync.write(Object.assign(new PNG({ width, height }), { data: rgba }), {
    colorType,
    inputColorType: 6,
    inputHasAlpha: true,
  });
  return {
    png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
    width,
    height,
    channels,
  };
}
