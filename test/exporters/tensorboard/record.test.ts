import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../../src/exporters/tensorboard/crc32c.js';
import {
  frameRecord,
  frameRecordInto,
  RECORD_OVERHEAD,
} from '../../../src/exporters/tensorboard/record.js';
import { runPythonJson } from '../../support/python.js';

const scratch = mkdtempSync(join(tmpdir(), 'tb-record-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('TFRecord framing', () => {
  it('lays out length, length CRC, data and data CRC, little-endian', () => {
    const data = Buffer.from('\x1a\x11CRC test, one two', 'latin1');
    const record = Buffer.from(frameRecord(data));
    expect(record.length).toBe(data.length + RECORD_OVERHEAD);
    expect(record.readBigUInt64LE(0)).toBe(BigInt(data.length));
    expect(record.readUInt32LE(8)).toBe(maskedCrc32c(record.subarray(0, 8)));
    expect(record.subarray(12, 12 + data.length)).toEqual(data);
    expect(record.readUInt32LE(12 + data.length)).toBe(0x5794d08a);
  });

  it('frames into a larger buffer at an offset and returns the end', () => {
    const out = new Uint8Array(100).fill(0xee);
    const end = frameRecordInto(new Uint8Array([1, 2, 3]), out, 10);
    expect(end).toBe(10 + 3 + RECORD_OVERHEAD);
    expect(Buffer.from(out.subarray(10, end))).toEqual(
      Buffer.from(frameRecord(new Uint8Array([1, 2, 3]))),
    );
    expect(out[9]).toBe(0xee);
    expect(out[end]).toBe(0xee);
  });

  it("TensorBoard's record reader reads records of every size back, CRCs checked", async () => {
    const sizes = [0, 1, 127, 128, 4096, 70_000];
    const payloads = sizes.map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) % 256));
    const path = join(scratch, 'records');
    writeFileSync(path, Buffer.concat(payloads.map((p) => frameRecord(p))));
    const read = await runPythonJson<string[]>(
      `
import hashlib, json, sys
from tensorboard.compat.tensorflow_stub import errors
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New
reader, out = PyRecordReader_New(sys.argv[1]), []
while True:
    try:
        reader.GetNext()
    except errors.OutOfRangeError:
        break
    out.append(reader.record().hex())
print(json.dumps(out))
`,
      [path],
    );
    expect(read).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
  });
});
