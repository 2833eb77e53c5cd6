import { describe, expect, it } from 'vitest';
import {
  allocateRing,
  Control,
  RecordOp,
  RingReader,
  type RingRecord,
  RingWriter,
  Sleep,
  WriteResult,
} from '../../../src/loggers/async/row-ring.js';

function readAll(reader: RingReader): RingRecord[] {
  const out: RingRecord[] = [];
  for (let next = reader.peek(); next; next = reader.peek()) {
    out.push(next);
    reader.consume();
  }
  return out;
}

describe('row ring', () => {
  it('carries rows of numbers in order, keys interned once, steps kept or absent', () => {
    const memory = allocateRing(10);
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    expect(writer.writeRow(RecordOp.Metrics, { 'train/loss': 0.25, 'é/ü': -0 }, 3)).toBe(
      WriteResult.Written,
    );
    expect(writer.writeRow(RecordOp.AtCurrentStep, { 'time/f': 1.5 }, Number.NaN)).toBe(
      WriteResult.Written,
    );
    expect(writer.writeRow(RecordOp.Metrics, { 'train/loss': Number.POSITIVE_INFINITY }, 4)).toBe(
      WriteResult.Written,
    );
    expect(writer.keys).toEqual(['train/loss', 'é/ü', 'time/f']);
    expect(writer.buffered).toBe(3);
    expect(readAll(reader)).toEqual([
      { op: RecordOp.Metrics, row: { 'train/loss': 0.25, 'é/ü': -0 }, step: 3 },
      { op: RecordOp.AtCurrentStep, row: { 'time/f': 1.5 }, step: undefined },
      { op: RecordOp.Metrics, row: { 'train/loss': Number.POSITIVE_INFINITY }, step: 4 },
    ]);
    expect(writer.buffered).toBe(0);
  });

  it('rings a polling reader only for a batch of unread rows, not for every row it keeps up with', () => {
    const memory = allocateRing(160);
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    const c = writer.control;
    const doorbell = () => Atomics.load(c, Control.doorbell);
    Atomics.store(c, Control.readerSleeping, Sleep.Polling);
    // A sixteenth of the ring unread rings once; the reader polling along rings no more.
    for (let i = 0; i < 9; i++) writer.writeRow(RecordOp.Metrics, { i }, i);
    expect(doorbell()).toBe(0);
    writer.writeRow(RecordOp.Metrics, { i: 9 }, 9);
    expect(doorbell()).toBe(1);
    readAll(reader);
    for (let i = 10; i < 500; i++) {
      writer.writeRow(RecordOp.Metrics, { i }, i);
      readAll(reader);
    }
    expect(doorbell()).toBe(1);
    // An idle reader is woken by every row.
    Atomics.store(c, Control.readerSleeping, Sleep.Idle);
    writer.writeRow(RecordOp.Metrics, { i: 500 }, 500);
    expect(doorbell()).toBe(2);
  });

  it('sends anything but a row of numbers elsewhere', () => {
    const writer = new RingWriter(allocateRing(10));
    expect(writer.writeRow(RecordOp.Metrics, { a: 1, b: 'x' }, 0)).toBe(WriteResult.NotNumbers);
    expect(writer.writeRow(RecordOp.Metrics, { a: { nested: 1 } }, 0)).toBe(WriteResult.NotNumbers);
    expect(writer.writeRow(RecordOp.Metrics, { a: 1n }, 0)).toBe(WriteResult.NotNumbers);
    expect(writer.buffered).toBe(0);
  });

  it('holds at most rowLimit calls, and takes more once they are read', () => {
    const memory = allocateRing(3);
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    for (let i = 0; i < 3; i++) expect(writer.writeRow(RecordOp.Metrics, { i }, i)).toBe(0);
    expect(writer.writeRow(RecordOp.Metrics, { i: 3 }, 3)).toBe(WriteResult.Full);
    expect(writer.writeMessageMarker(1)).toBe(false);
    expect(reader.peek()).toMatchObject({ step: 0 });
    reader.consume();
    expect(writer.writeMessageMarker(1)).toBe(true);
    expect(readAll(reader).map((r) => (r.op === RecordOp.Message ? `m${r.seq}` : r.step))).toEqual([
      1,
      2,
      'm1',
    ]);
  });

  it('wraps around the end of its memory many times with rows of every width, losing nothing', () => {
    const memory = allocateRing(16);
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    const got: RingRecord[] = [];
    let written = 0;
    // Far more bytes than the region holds; widths that do not divide it, so pads are needed.
    for (let i = 0; i < 5_000; i++) {
      const width = 1 + (i % 37);
      const row: Record<string, number> = {};
      for (let k = 0; k < width; k++) row[`k${(i + k) % 53}`] = i * 1000 + k;
      while (writer.writeRow(RecordOp.Metrics, row, i) === WriteResult.Full) {
        const next = reader.peek()!;
        got.push(next);
        reader.consume();
      }
      written++;
    }
    got.push(...readAll(reader));
    expect(got).toHaveLength(written);
    const wrong = got.filter(
      (record, i) =>
        record.op === RecordOp.Message ||
        record.step !== i ||
        Object.keys(record.row).length !== 1 + (i % 37) ||
        record.row[`k${i % 53}`] !== i * 1000,
    );
    expect(wrong).toEqual([]);
    expect(Atomics.load(writer.control, Control.rowsRead)).toBe(written);
  });

  it('gives a fresh reader the keys defined before it, and it reads on where the last one stopped', () => {
    const memory = allocateRing(10);
    const writer = new RingWriter(memory);
    const first = new RingReader(memory);
    writer.writeRow(RecordOp.Metrics, { a: 1 }, 0);
    writer.writeRow(RecordOp.Metrics, { a: 2 }, 1);
    expect(first.peek()).toMatchObject({ row: { a: 1 } });
    first.consume();
    const second = new RingReader(memory, writer.keys);
    expect(readAll(second)).toEqual([{ op: RecordOp.Metrics, row: { a: 2 }, step: 1 }]);
  });
});
