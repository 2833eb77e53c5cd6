/**
 * History records are the hot path of a W&B run, so they skip the generic protobuf encoder:
 * `Record {num, history: HistoryRecord {item: [HistoryItem {key, value_json}], step {num}}}` is
 * written by hand into a buffer reused from row to row, each key's bytes encoded once. The bytes
 * are the generic encoder's, fields at their default value left out as proto3 does (the tests
 * hold it to them), so `wandb sync` and W&B's own reader see no difference.
 */

import { varintSize, writeVarint } from '../protobuf-varint.js';
import type { HistoryRow } from './history.js';
import { wandbJson } from './wandb-json.js';

const RECORD_NUM_KEY = 0x08; // Record.num: field 1, varint
const HISTORY_KEY = 0x12; // Record.history: field 2, length-delimited
const ITEM_KEY = 0x0a; // HistoryRecord.item: field 1, length-delimited
const STEP_KEY = 0x12; // HistoryRecord.step: field 2, length-delimited
const STEP_NUM_KEY = 0x08; // HistoryStep.num: field 1, varint
const ITEM_KEY_KEY = 0x0a; // HistoryItem.key: field 1, length-delimited
/** HistoryItem.value_json: field 16, length-delimited (a two-byte varint key). */
const VALUE_JSON_KEY = [0x82, 0x01] as const;
/** Keys whose field bytes are kept: enough for any real run, bounded for one that invents keys. */
const MAX_CACHED_KEYS = 10_000;

export class HistoryEncoder {
  /** Per key, `HistoryItem.key` as bytes: the field key, the length and the UTF-8 key (none for ''). */
  private readonly keyFields = new Map<string, Buffer>();
  private buffer = Buffer.allocUnsafe(4096);
  // Per item of the row being encoded (reused): its key field, its JSON value and its length.
  private readonly fields: Buffer[] = [];
  private readonly values: (string | Buffer)[] = [];
  private readonly lengths: number[] = [];

  /**
   * The bytes of record number `num` holding `row` (keys in the row's order, then `step`). A
   * view of a buffer the next call overwrites: copy or write it out before encoding again.
   */
  encode(num: number, row: HistoryRow): Uint8Array {
    let items = 0;
    let count = 0;
    for (const key in row) {
      const value = row[key];
      const json = wandbJson(value);
      // Numbers' JSON is ASCII: one byte per character, written without an encoder.
      const bytes = typeof value === 'number' ? json : Buffer.from(json);
      const field = this.keyField(key);
      const item = field.length + 2 + varintSize(bytes.length) + bytes.length;
      this.fields[count] = field;
      this.values[count] = bytes;
      this.lengths[count] = item;
      items += 1 + varintSize(item) + item;
      count++;
    }
    // proto3 leaves out a zero step (and an empty key, see `keyField`).
    const step = row._step === 0 ? 0 : 1 + varintSize(row._step);
    const history = items + 1 + varintSize(step) + step;
    const size = 1 + varintSize(num) + 1 + varintSize(history) + history;
    if (size > this.buffer.length)
      this.buffer = Buffer.allocUnsafe(Math.max(size, this.buffer.length * 2));
    const out = this.buffer;
    let at = 0;
    out[at++] = RECORD_NUM_KEY;
    at = writeVarint(out, at, num);
    out[at++] = HISTORY_KEY;
    at = writeVarint(out, at, history);
    for (let i = 0; i < count; i++) {
      out[at++] = ITEM_KEY;
      at = writeVarint(out, at, this.lengths[i]!);
      const field = this.fields[i]!;
      out.set(field, at);
      at += field.length;
      out[at++] = VALUE_JSON_KEY[0];
      out[at++] = VALUE_JSON_KEY[1];
      const value = this.values[i]!;
      at = writeVarint(out, at, value.length);
      if (typeof value === 'string') {
        for (let c = 0; c < value.length; c++) out[at++] = value.charCodeAt(c);
      } else {
        out.set(value, at);
        at += value.length;
      }
    }
    out[at++] = STEP_KEY;
    at = writeVarint(out, at, step);
    if (step > 0) {
      out[at++] = STEP_NUM_KEY;
      at = writeVarint(out, at, row._step);
    }
    return out.subarray(0, at);
  }

  private keyField(key: string): Buffer {
    const cached = this.keyFields.get(key);
    if (cached) return cached;
    const bytes = Buffer.from(key);
    if (bytes.length === 0) return bytes;
    const field = Buffer.allocUnsafe(1 + varintSize(bytes.length) + bytes.length);
    field[0] = ITEM_KEY_KEY;
    bytes.copy(field, writeVarint(field, 1, bytes.length));
    if (this.keyFields.size < MAX_CACHED_KEYS) this.keyFields.set(key, field);
    return field;
  }
}
