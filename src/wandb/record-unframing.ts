/**
 * Reading the `.wandb` file's framing (record-framing.ts writes it): the header is checked, every
 * chunk's crc verified, FIRST/MIDDLE/LAST chunks joined into records and block tails skipped.
 * Damage is not fatal, as in LevelDB's log reader: the damaged block's remaining chunks are
 * skipped (a record cut by it is dropped whole) and reading resumes at the next block. Bytes at
 * the very end that do not make a whole record are a torn tail: the writer stopped mid-record.
 * Pure: bytes in, record payloads out.
 */
import {
  BLOCK_SIZE,
  CHUNK_HEADER_SIZE,
  ChunkType,
  chunkCrc,
  WANDB_FILE_HEADER,
} from './record-framing.js';

/** Where reading had to skip bytes, and why. */
export interface FramingDamage {
  /** Byte offset of the first bad chunk. */
  readonly offset: number;
  readonly reason: string;
  /** Bytes skipped, from the start of the dropped record (if one was open) to the next block. */
  readonly skippedBytes: number;
}

export interface UnframedRecords {
  /** The whole records, in file order. */
  readonly payloads: Uint8Array[];
  readonly damage: FramingDamage[];
  /** Bytes at the end that do not make a whole record; 0 when the file ends cleanly. */
  readonly tornTailBytes: number;
}

/** The file is not a `.wandb` transaction log at all (wrong header or unknown version). */
export class WandbFileFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WandbFileFormatError';
  }
}

/** The records framed in `bytes` (a whole `.wandb` file). */
export function unframeRecords(bytes: Uint8Array): UnframedRecords {
  checkHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  const damage: FramingDamage[] = [];
  let pieces: Uint8Array[] | undefined;
  let recordStart = 0;
  let position = WANDB_FILE_HEADER.length;

  const skipBlock = (offset: number, reason: string) => {
    const next = Math.min(bytes.length, (Math.floor(offset / BLOCK_SIZE) + 1) * BLOCK_SIZE);
    const from = pieces ? recordStart : offset;
    damage.push({ offset, reason, skippedBytes: next - from });
    pieces = undefined;
    position = next;
  };

  while (position < bytes.length) {
    const room = BLOCK_SIZE - (position % BLOCK_SIZE);
    if (room < CHUNK_HEADER_SIZE) {
      position += room;
      continue;
    }
    if (bytes.length - position < CHUNK_HEADER_SIZE) break;
    const crc = view.getUint32(position, true);
    const length = view.getUint16(position + 4, true);
    const type = view.getUint8(position + 6);
    // A zero chunk header is a preallocated, never written region (LevelDB's zero type).
    if (type === 0 && length === 0 && crc === 0) {
      position += room;
      continue;
    }
    const end = position + CHUNK_HEADER_SIZE + length;
    if (CHUNK_HEADER_SIZE + length > room) {
      skipBlock(position, `a chunk of ${length} bytes runs past its block`);
      continue;
    }
    if (end > bytes.length) break;
    const data = bytes.subarray(position + CHUNK_HEADER_SIZE, end);
    if (type < ChunkType.full || type > ChunkType.last) {
      skipBlock(position, `unknown chunk type ${type}`);
      continue;
    }
    if (chunkCrc(type, data) !== crc) {
      skipBlock(position, 'crc mismatch');
      continue;
    }
    const starts = type === ChunkType.full || type === ChunkType.first;
    if (starts && pieces) {
      damage.push({
        offset: recordStart,
        reason: 'a record that never ends (a new one starts inside it)',
        skippedBytes: position - recordStart,
      });
      pieces = undefined;
    } else if (!starts && !pieces) {
      damage.push({
        offset: position,
        reason: 'a record piece without its start',
        skippedBytes: end - position,
      });
      position = end;
      continue;
    }
    if (starts) recordStart = position;
    if (type === ChunkType.full) payloads.push(data);
    else if (type === ChunkType.first) pieces = [data];
    else {
      pieces!.push(data);
      if (type === ChunkType.last) {
        payloads.push(Buffer.concat(pieces!));
        pieces = undefined;
      }
    }
    position = end;
  }
  const tailStart = pieces ? recordStart : position;
  return { payloads, damage, tornTailBytes: Math.max(0, bytes.length - tailStart) };
}

function checkHeader(bytes: Uint8Array): void {
  const magic = WANDB_FILE_HEADER.length - 1;
  for (let i = 0; i < magic; i++) {
    if (bytes[i] !== WANDB_FILE_HEADER[i]) {
      throw new WandbFileFormatError(
        'not a W&B transaction log: the file does not begin with :W&B',
      );
    }
  }
  if (bytes.length < WANDB_FILE_HEADER.length) {
    throw new WandbFileFormatError('the file ends inside its 7-byte header');
  }
  const version = bytes[magic];
  if (version !== WANDB_FILE_HEADER[magic]) {
    throw new WandbFileFormatError(`transaction log version ${version} is not supported (only 0)`);
  }
}
