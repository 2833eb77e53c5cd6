/**
 * Reading `.wandb` files back: the framing reader against the framing writer on records of every
 * size (block tails of 0 to 6 bytes, records split across many blocks), damage and torn tails;
 * W&B JSON and the key-path trees the records are folded into. Files written by the real `wandb`
 * package are read in test/cli/wandb-sync.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonTree } from '../../src/wandb/json-tree.js';
import {
  BLOCK_SIZE,
  CHUNK_HEADER_SIZE,
  RecordFramer,
  WANDB_FILE_HEADER,
} from '../../src/wandb/record-framing.js';
import { unframeRecords, WandbFileFormatError } from '../../src/wandb/record-unframing.js';
import { parseWandbJson } from '../../src/wandb/wandb-json.js';

/** A file holding `payloads`, framed by the writer. */
function file(payloads: readonly Uint8Array[]): Buffer {
  const framer = new RecordFramer();
  return Buffer.concat([WANDB_FILE_HEADER, ...payloads.map((p) => framer.frame(p))]);
}

const PATTERN = Uint8Array.from({ length: 4 * BLOCK_SIZE + 256 }, (_, i) => (i * 31) & 0xff);

/** `length` bytes that differ from record to record (a copy: its own buffer). */
function payload(length: number, seed: number): Uint8Array {
  return PATTERN.slice(seed % 256, (seed % 256) + length);
}

function same(read: readonly Uint8Array[], written: readonly Uint8Array[]): boolean {
  return read.length === written.length && read.every((p, i) => Buffer.from(p).equals(written[i]!));
}

describe('unframeRecords', () => {
  it('reads back every record the writer framed, whatever their sizes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            // A Record is never empty (its num is always set), so lengths start at 1.
            fc.integer({ min: 1, max: 200 }),
            // Sizes that leave 0 to 6 bytes at the end of the first block.
            fc
              .integer({ min: 0, max: 8 })
              .map((tail) => BLOCK_SIZE - WANDB_FILE_HEADER.length - CHUNK_HEADER_SIZE - tail),
            fc.integer({ min: BLOCK_SIZE - 20, max: 3 * BLOCK_SIZE }),
          ),
          { maxLength: 8 },
        ),
        (lengths) => {
          const payloads = lengths.map(payload);
          const read = unframeRecords(file(payloads));
          expect(read.damage).toEqual([]);
          expect(read.tornTailBytes).toBe(0);
          expect(same(read.payloads, payloads)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('skips a damaged block and reads on from the next one', () => {
    const payloads = [payload(100, 1), payload(200, 2), payload(BLOCK_SIZE, 3), payload(50, 4)];
    const bytes = file(payloads);
    // The second record's first payload byte: header, chunk 1, chunk 2's header.
    const second = WANDB_FILE_HEADER.length + CHUNK_HEADER_SIZE + 100;
    bytes.writeUInt8(
      bytes.readUInt8(second + CHUNK_HEADER_SIZE) ^ 0xff,
      second + CHUNK_HEADER_SIZE,
    );
    const read = unframeRecords(bytes);
    // The third record began in the damaged block: its last piece, in the next block, is left
    // out too (and said so); the fourth record is read.
    const third = BLOCK_SIZE - (second + CHUNK_HEADER_SIZE + 200) - CHUNK_HEADER_SIZE;
    expect(read.damage).toEqual([
      { offset: second, reason: 'crc mismatch', skippedBytes: BLOCK_SIZE - second },
      {
        offset: BLOCK_SIZE,
        reason: 'a record piece without its start',
        skippedBytes: CHUNK_HEADER_SIZE + BLOCK_SIZE - third,
      },
    ]);
    expect(same(read.payloads, [payloads[0]!, payloads[3]!])).toBe(true);
  });

  it('leaves out an unfinished record at the end (a writer stopped mid-write)', () => {
    const bytes = file([payload(10, 1), payload(BLOCK_SIZE + 100, 2)]);
    const cut = bytes.subarray(0, bytes.length - 30);
    const read = unframeRecords(cut);
    expect(read.payloads.map((p) => p.length)).toEqual([10]);
    expect(read.damage).toEqual([]);
    expect(read.tornTailBytes).toBe(
      cut.length - (WANDB_FILE_HEADER.length + CHUNK_HEADER_SIZE + 10),
    );
  });

  it('refuses a file that is not a W&B transaction log, naming why', () => {
    expect(() => unframeRecords(Buffer.from('{"not": "a run"}'))).toThrow(WandbFileFormatError);
    expect(() => unframeRecords(Buffer.from('{"not": "a run"}'))).toThrow(
      /does not begin with :W&B/,
    );
    const future = Buffer.from(WANDB_FILE_HEADER);
    future[6] = 1;
    expect(() => unframeRecords(future)).toThrow('transaction log version 1 is not supported');
  });
});

describe('parseWandbJson', () => {
  it('reads the bare NaN and infinity tokens as numbers, and leaves them alone in strings', () => {
    expect(parseWandbJson('{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN -Infinity"}')).toEqual({
      a: Number.NaN,
      b: [Infinity, -Infinity],
      c: 'NaN -Infinity',
    });
    expect(parseWandbJson('{"q": "say \\"NaN\\"", "n": NaN}')).toEqual({
      q: 'say "NaN"',
      n: Number.NaN,
    });
    expect(() => parseWandbJson('{"a": nan}')).toThrow(SyntaxError);
  });
});

describe('JsonTree', () => {
  it('folds key and nested-key items in order, keeping each value as written', () => {
    const tree = new JsonTree()
      .update([
        { key: 'loss', valueJson: '1.0' },
        { nestedKey: ['opt', 'name'], valueJson: '"adam"' },
        { key: 'grad', valueJson: 'NaN' },
      ])
      .update([{ key: 'loss', valueJson: '0.5' }]);
    expect(tree.toJson()).toBe('{"loss":0.5,"opt":{"name":"adam"},"grad":NaN}');
    tree.remove([{ nestedKey: ['opt', 'name'] }]);
    expect(tree.toJson()).toBe('{"loss":0.5,"opt":{},"grad":NaN}');
  });

  it('sets a member of an object that was written whole', () => {
    const tree = new JsonTree().update([{ key: 'opt', valueJson: '{"name": "adam", "lr": 0.1}' }]);
    tree.update([{ nestedKey: ['opt', 'lr'], valueJson: '0.2' }]);
    expect(tree.toValue()).toEqual({ opt: { name: 'adam', lr: 0.2 } });
  });
});
