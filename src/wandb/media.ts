/**
 * Training media as W&B history values: histograms inline, images and text as files under
 * `media/` referenced from the row (W&B's `image-file`, `images/separated` and `html-file`
 * forms). Pure: the sink writes the files.
 */
import { createHash } from 'node:crypto';

/** A histogram as OTel's explicit-bucket points hold it (and the training events carry it). */
export interface Histogram {
  readonly min: number;
  readonly bucketLimits: readonly number[];
  readonly bucketCounts: readonly number[];
}

/** `{"_type": "histogram", "values": counts, "bins": edges}`, edges = [min, ...right edges]. */
export function histogramValue(h: Histogram): Record<string, unknown> {
  // Bins must not decrease; an OTel point's min may lie right of its first (empty) bucket's edge.
  const first = Math.min(h.min, h.bucketLimits[0] ?? h.min);
  return { _type: 'histogram', values: [...h.bucketCounts], bins: [first, ...h.bucketLimits] };
}

export interface MediaFile {
  /** Relative to the run's `files/`: `media/images/<tag>_<step>_<hash>.png`. */
  readonly path: string;
  readonly bytes: Uint8Array;
  /** Hex sha256 of the bytes. */
  readonly sha256: string;
}

const MAX_TAG_LENGTH = 128;

/**
 * Where W&B keeps a media file: `media/<kind>/<tag>_<step>_<first 20 hex of sha256>.<ext>`, the
 * tag's characters other than letters, digits, `_` and `-` as `_`, cut to 128.
 */
export function mediaFile(
  kind: 'images' | 'html',
  tag: string,
  step: number,
  bytes: Uint8Array,
  extension: string,
): MediaFile {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // One file name, short enough for any file system (255 bytes) whatever the tag.
  const safeTag = tag.replace(/[^\w-]/g, '_').slice(0, MAX_TAG_LENGTH);
  return {
    path: `media/${kind}/${safeTag}_${step}_${sha256.slice(0, 20)}.${extension}`,
    bytes,
    sha256,
  };
}

export function imageFileValue(
  file: MediaFile,
  width: number,
  height: number,
): Record<string, unknown> {
  return {
    _type: 'image-file',
    path: file.path,
    sha256: file.sha256,
    size: file.bytes.byteLength,
    width,
    height,
    format: 'png',
  };
}

/**
 * Two images under one key at one step become W&B's `images/separated` (a batch); more images
 * join the batch. Anything else under the key is replaced.
 */
export function combineImages(previous: unknown, next: unknown): unknown {
  const add = next as Record<string, unknown>;
  const batch = previous as Record<string, unknown>;
  if (batch?._type === 'images/separated') {
    return {
      ...batch,
      count: (batch.count as number) + 1,
      filenames: [...(batch.filenames as string[]), add.path],
    };
  }
  if (batch?._type !== 'image-file') return next;
  return {
    _type: 'images/separated',
    width: batch.width,
    height: batch.height,
    format: 'png',
    count: 2,
    filenames: [batch.path, add.path],
  };
}

/**
 * Text as a W&B HTML panel: the text verbatim (escaped) in a wrapping `<pre>`, so markdown reads
 * as its source and nothing in it can run as markup.
 */
export function textHtml(text: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return `<pre style="white-space: pre-wrap; font-family: monospace">${escaped}</pre>\n`;
}

export function htmlFileValue(file: MediaFile): Record<string, unknown> {
  return { _type: 'html-file', path: file.path, sha256: file.sha256, size: file.bytes.byteLength };
}
