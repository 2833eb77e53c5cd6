/**
 * The limit for (2): a bare loop that writes the same rows as TensorBoard events and nothing
 * else. Per row it encodes the `Event` by hand (wall time, step, a `Summary.Value` per key with
 * the key's UTF-8 bytes, encoded once, and the float), frames it as a TFRecord with the two
 * masked CRC-32Cs (the same native CRC as ours), and appends it to a 1 MiB buffer written to the
 * file whenever it fills and at the end. No queue, no decoding, no OTel: what any logger must do
 * at least.
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { maskedCrc32c } from '../src/exporters/tensorboard/crc32c.js';
import { varintSize, writeVarint } from '../src/protobuf-varint.js';

const BUFFER_BYTES = 1 << 20;
const FILE_VERSION = 'brain.Event:2';

/** Writes a file of the events of rows 0 to `rows - 1` (made by `rowOf`; wall times from `now`). */
export function writeBareEvents(
  path: string,
  rows: number,
  keys: readonly string[],
  rowOf: (row: number) => Readonly<Record<string, number>>,
  now: () => number = Date.now,
): void {
  const tags = keys.map((key) => Buffer.from(key));
  // Summary.Value {tag, simple_value}: the tag field and the float field.
  const valueBodies = tags.map((tag) => 1 + varintSize(tag.length) + tag.length + 5);
  const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  const fd = openSync(path, 'w');
  let at = 0;
  const flush = () => {
    for (let done = 0; done < at; ) done += writeSync(fd, buffer, done, at - done);
    at = 0;
  };
  /** Writes a record header for `length` bytes of data; returns where the data goes. */
  const begin = (length: number) => {
    if (at + length + 16 > BUFFER_BYTES) flush();
    buffer.writeUInt32LE(length, at);
    buffer.writeUInt32LE(0, at + 4);
    buffer.writeUInt32LE(maskedCrc32c(buffer.subarray(at, at + 8)), at + 8);
    return at + 12;
  };
  /** Seals the record whose data spans `start` to `end`. */
  const seal = (start: number, end: number) => {
    buffer.writeUInt32LE(maskedCrc32c(buffer.subarray(start, end)), end);
    at = end + 4;
  };
  const version = Buffer.from(FILE_VERSION);
  let p = begin(9 + 2 + version.length);
  const versionStart = p;
  buffer[p++] = 0x09; // Event.wall_time, fixed64
  p = buffer.writeDoubleLE(now() / 1000, p);
  buffer[p++] = 0x1a; // Event.file_version
  buffer[p++] = version.length;
  p += version.copy(buffer, p);
  seal(versionStart, p);
  for (let i = 0; i < rows; i++) {
    const values = rowOf(i);
    let summaryLength = 0;
    for (const body of valueBodies) summaryLength += 1 + varintSize(body) + body;
    const step = i === 0 ? 0 : 1 + varintSize(i); // proto3 leaves out a zero step
    const start = begin(9 + step + 1 + varintSize(summaryLength) + summaryLength);
    p = start;
    buffer[p++] = 0x09; // Event.wall_time, fixed64
    p = buffer.writeDoubleLE(now() / 1000, p);
    if (i !== 0) {
      buffer[p++] = 0x10; // Event.step, varint
      p = writeVarint(buffer, p, i);
    }
    buffer[p++] = 0x2a; // Event.summary
    p = writeVarint(buffer, p, summaryLength);
    for (let k = 0; k < tags.length; k++) {
      const tag = tags[k]!;
      buffer[p++] = 0x0a; // Summary.value
      p = writeVarint(buffer, p, valueBodies[k]!);
      buffer[p++] = 0x0a; // Value.tag
      p = writeVarint(buffer, p, tag.length);
      buffer.set(tag, p);
      p += tag.length;
      buffer[p++] = 0x15; // Value.simple_value, fixed32
      p = buffer.writeFloatLE(values[keys[k]!]!, p);
    }
    seal(start, p);
  }
  flush();
  closeSync(fd);
}
