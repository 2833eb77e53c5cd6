/**
 * Rows are the hot path, so they skip the generic protobuf encoder. In a row's `Event`, each
 * key's `Summary.Value` is a prefix that depends only on the tag (field 1 and its length, the tag,
 * the float's key) followed by the float. Training logs the same keys row after row, so the whole
 * `Summary` of a key sequence is kept as a layout: bytes with room for the floats. A row is then
 * its header, one copy of the layout and a float per key, written straight into the caller's
 * buffer. The bytes are those of the generic encoder and of TensorBoard's own writer (the tests
 * hold it to both).
 */
import type { MetricsEvent } from '../../events/events.js';
import { varintSize, writeVarint } from '../../protobuf-varint.js';

const WALL_TIME_KEY = 0x09; // Event.wall_time: field 1, fixed64
const STEP_KEY = 0x10; // Event.step: field 2, varint
const SUMMARY_KEY = 0x2a; // Event.summary: field 5, length-delimited
const VALUE_KEY = 0x0a; // Summary.value: field 1, length-delimited
const TAG_KEY = 0x0a; // Value.tag: field 1, length-delimited
const SIMPLE_VALUE_KEY = 0x15; // Value.simple_value: field 2, fixed32
/** Layouts kept, most recent first: enough for rows that alternate (train, val, timing, ...). */
const MAX_LAYOUTS = 8;
/** Tag prefixes kept: enough for any real run, bounded for one that invents keys. */
const MAX_CACHED_TAGS = 10_000;

const utf8 = new TextEncoder();

/** A key sequence's `Summary`, with the offset of each key's float in it. */
interface Layout {
  readonly keys: readonly string[];
  readonly summary: Uint8Array;
  readonly floats: readonly number[];
}

export class ScalarRowEncoder {
  private readonly layouts: Layout[] = [];
  private readonly prefixes = new Map<string, Uint8Array>();
  private prepared: Layout | undefined;
  /** A view of the last buffer written into (usually the event file's buffer, again and again). */
  private view: DataView | undefined;
  private viewed: Uint8Array | undefined;

  /**
   * Prepares `event` and returns the size of its `Event`; `encodeInto` then writes it. The two
   * calls go together, with no other row in between.
   */
  prepare(event: MetricsEvent): number {
    const layout = this.layoutOf(event.values);
    this.prepared = layout;
    const summary = layout.summary.byteLength;
    let size = 1 + varintSize(summary) + summary;
    if (isSet(event.timeMs / 1000)) size += 9;
    if (event.step !== 0) size += 1 + varintSize(event.step);
    return size;
  }

  /** Writes the `Event` of the event last prepared at `offset` of `out`; returns its end. */
  encodeInto(event: MetricsEvent, out: Uint8Array, offset: number): number {
    const layout = this.prepared!;
    const view = this.viewOf(out);
    let at = offset;
    const wallTime = event.timeMs / 1000;
    if (isSet(wallTime)) {
      out[at] = WALL_TIME_KEY;
      view.setFloat64(at + 1, wallTime, true);
      at += 9;
    }
    if (event.step !== 0) {
      out[at++] = STEP_KEY;
      at = writeVarint(out, at, event.step);
    }
    out[at++] = SUMMARY_KEY;
    at = writeVarint(out, at, layout.summary.byteLength);
    out.set(layout.summary, at);
    const { keys, floats } = layout;
    for (let i = 0; i < keys.length; i++) {
      view.setFloat32(at + floats[i]!, event.values[keys[i]!]!, true);
    }
    return at + layout.summary.byteLength;
  }

  /** The row's `Event` as a new array. */
  encode(event: MetricsEvent): Uint8Array {
    const out = new Uint8Array(this.prepare(event));
    this.encodeInto(event, out, 0);
    return out;
  }

  private layoutOf(values: MetricsEvent['values']): Layout {
    for (let i = 0; i < this.layouts.length; i++) {
      const layout = this.layouts[i]!;
      if (!sameKeys(layout.keys, values)) continue;
      if (i > 0) {
        this.layouts.splice(i, 1);
        this.layouts.unshift(layout);
      }
      return layout;
    }
    const layout = this.newLayout(Object.keys(values));
    this.layouts.unshift(layout);
    if (this.layouts.length > MAX_LAYOUTS) this.layouts.pop();
    return layout;
  }

  private newLayout(keys: string[]): Layout {
    const prefixes = keys.map((key) => this.prefix(key));
    const summary = new Uint8Array(prefixes.reduce((n, p) => n + p.byteLength + 4, 0));
    const floats: number[] = [];
    let at = 0;
    for (const prefix of prefixes) {
      summary.set(prefix, at);
      at += prefix.byteLength;
      floats.push(at);
      at += 4;
    }
    return { keys, summary, floats };
  }

  private prefix(tag: string): Uint8Array {
    const cached = this.prefixes.get(tag);
    if (cached) return cached;
    const prefix = valuePrefix(tag);
    if (this.prefixes.size < MAX_CACHED_TAGS) this.prefixes.set(tag, prefix);
    return prefix;
  }

  private viewOf(out: Uint8Array): DataView {
    if (this.viewed !== out || !this.view) {
      this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      this.viewed = out;
    }
    return this.view;
  }
}

/** True when `values` has exactly `keys`, in that order. */
function sameKeys(keys: readonly string[], values: MetricsEvent['values']): boolean {
  let i = 0;
  for (const key in values) {
    if (keys[i] !== key) return false;
    i++;
  }
  return i === keys.length;
}

/** `Summary.Value {tag, simple_value}` up to the float: an empty tag is left out, as proto3 does. */
function valuePrefix(tag: string): Uint8Array {
  const bytes = utf8.encode(tag);
  const tagField = bytes.byteLength === 0 ? 0 : 1 + varintSize(bytes.byteLength) + bytes.byteLength;
  const valueLength = tagField + 5;
  const prefix = new Uint8Array(1 + varintSize(valueLength) + tagField + 1);
  let at = 0;
  prefix[at++] = VALUE_KEY;
  at = writeVarint(prefix, at, valueLength);
  if (tagField > 0) {
    prefix[at++] = TAG_KEY;
    at = writeVarint(prefix, at, bytes.byteLength);
    prefix.set(bytes, at);
    at += bytes.byteLength;
  }
  prefix[at] = SIMPLE_VALUE_KEY;
  return prefix;
}

/** proto3 leaves out +0, the default; -0 is not the default. */
function isSet(value: number): boolean {
  return value !== 0 || Object.is(value, -0);
}
