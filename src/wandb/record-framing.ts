/**
 * The `.wandb` file's framing (LevelDB's log format with W&B's header): a 7-byte header, then
 * 32 KiB blocks of chunks `u32 crc (LE) | u16 length (LE) | u8 type | payload`. A record that does
 * not fit in the rest of a block is split into FIRST, MIDDLE and LAST chunks; a block tail too
 * short for a chunk header is zero-filled. The crc is plain IEEE CRC-32 over the type byte and the
 * payload. Pure: bytes in, bytes out.
 */
import { lazyModule } from '../lazy-module.js';

/** zlib's CRC-32, loaded with the first framer: a process without W&B never loads `node:zlib`. */
const zlib = lazyModule<typeof import('node:zlib')>('node:zlib');

/** ":W&B", magic 0xBEE1 (little-endian), version 0. */
export const WANDB_FILE_HEADER = Uint8Array.of(0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00);
export const BLOCK_SIZE = 32 * 1024;
export const CHUNK_HEADER_SIZE = 7;

export const ChunkType = { full: 1, first: 2, middle: 3, last: 4 } as const;

/** The CRC-32 of each type byte alone: a chunk's crc continues from it over the payload. */
let typeCrcs: readonly number[] | undefined;

/** A chunk's crc: the CRC-32 of its type byte and its payload. */
export function chunkCrc(type: number, payload: Uint8Array): number {
  const { crc32 } = zlib();
  typeCrcs ??= [0, 1, 2, 3, 4].map((each) => crc32(Uint8Array.of(each)));
  return crc32(payload, typeCrcs[type] ?? crc32(Uint8Array.of(type)));
}

/** Frames records one after another; remembers where in its block the file ends. */
export class RecordFramer {
  /** Bytes written so far, the file header included. */
  private position = WANDB_FILE_HEADER.length;

  /** Most bytes `frameInto` writes for a payload of `length` bytes. */
  static maxFramedLength(length: number): number {
    // Every chunk header and block tail the payload can need.
    const chunks = Math.ceil(length / (BLOCK_SIZE - CHUNK_HEADER_SIZE)) + 2;
    return length + chunks * 2 * CHUNK_HEADER_SIZE;
  }

  /** The bytes that append `payload` as one record to the file framed so far. */
  frame(payload: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(RecordFramer.maxFramedLength(payload.length));
    return out.subarray(0, this.frameInto(payload, out, 0));
  }

  /**
   * Writes the bytes that append `payload` as one record at `offset` of `out`, which has room
   * for `maxFramedLength` of them; returns where they end.
   */
  frameInto(payload: Uint8Array, out: Buffer, offset: number): number {
    let at = offset;
    let rest = payload;
    let first = true;
    do {
      let room = BLOCK_SIZE - (this.position % BLOCK_SIZE);
      if (room < CHUNK_HEADER_SIZE) {
        out.fill(0, at, at + room);
        at += room;
        this.position += room;
        room = BLOCK_SIZE;
      }
      const length = Math.min(room - CHUNK_HEADER_SIZE, rest.length);
      const last = length === rest.length;
      const type = first
        ? last
          ? ChunkType.full
          : ChunkType.first
        : last
          ? ChunkType.last
          : ChunkType.middle;
      const data = last ? rest : rest.subarray(0, length);
      out.writeUInt32LE(chunkCrc(type, data), at);
      out.writeUInt16LE(length, at + 4);
      out[at + 6] = type;
      out.set(data, at + CHUNK_HEADER_SIZE);
      at += CHUNK_HEADER_SIZE + length;
      this.position += CHUNK_HEADER_SIZE + length;
      rest = rest.subarray(length);
      first = false;
    } while (rest.length > 0);
    return at;
  }
}
