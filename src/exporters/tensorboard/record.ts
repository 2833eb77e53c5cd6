/**
 * TFRecord framing, pure: `u64 length (LE) | u32 masked CRC-32C of the length bytes | data |
 * u32 masked CRC-32C of the data`. A reader can tell a torn last record from a corrupt one.
 */
import { maskedCrc32c } from './crc32c.js';

/** Bytes a record adds around its data. */
export const RECORD_OVERHEAD = 16;
/** Where a record's data starts, from the record's start. */
export const RECORD_DATA_OFFSET = 12;
/** Header CRCs by length: a run's records come in few lengths (rows of one key set share one). */
const headerCrcs = new Map<number, number>();
const MAX_CACHED_HEADER_CRCS = 4096;

/**
 * Completes the record whose `length` bytes of data are already at `offset + 12` of `out`:
 * writes its header before the data and its CRC after. Returns the record's end.
 */
export function sealRecord(out: Uint8Array, offset: number, length: number): number {
  writeUint32LE(out, offset, length % 0x1_0000_0000);
  writeUint32LE(out, offset + 4, Math.floor(length / 0x1_0000_0000));
  let headerCrc = headerCrcs.get(length);
  if (headerCrc === undefined) {
    headerCrc = maskedCrc32c(out.subarray(offset, offset + 8));
    if (headerCrcs.size < MAX_CACHED_HEADER_CRCS) headerCrcs.set(length, headerCrc);
  }
  writeUint32LE(out, offset + 8, headerCrc);
  const start = offset + RECORD_DATA_OFFSET;
  writeUint32LE(out, start + length, maskedCrc32c(out.subarray(start, start + length)));
  return start + length + 4;
}

/** Writes the record of `data` into `out` at `offset` (room is the caller's); returns its end. */
export function frameRecordInto(data: Uint8Array, out: Uint8Array, offset: number): number {
  out.set(data, offset + RECORD_DATA_OFFSET);
  return sealRecord(out, offset, data.byteLength);
}

/** The record of `data`, as a new array. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.byteLength + RECORD_OVERHEAD);
  frameRecordInto(data, out, 0);
  return out;
}

function writeUint32LE(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = value >>> 24;
}
