import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../../src/exporters/tensorboard/crc32c.js';
import { runPythonJson } from '../../support/python.js';

describe('crc32c', () => {
  it('matches the DESIGN.md vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(maskedCrc32c(Buffer.from('\x1a\x11CRC test, one two', 'latin1'))).toBe(0x5794d08a);
  });

  it('reads only the bytes of a view, not the rest of its buffer', () => {
    const buffer = new Uint8Array(64).fill(7);
    buffer.fill(0, 16, 48);
    expect(crc32c(buffer.subarray(16, 48))).toBe(0x8a9136aa);
  });

  it("agrees with the crc32c package and TensorBoard's masked CRC on random data", async () => {
    const samples = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 300 }), {
      numRuns: 200,
      seed: 4,
    });
    const expected = await runPythonJson<[number, number][]>(
      `
import base64, json, sys, crc32c
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
data = [base64.b64decode(s) for s in sys.argv[1:]]
print(json.dumps([[crc32c.crc32c(d), masked_crc32c(d)] for d in data]))
`,
      samples.map((s) => Buffer.from(s).toString('base64')),
    );
    expect(samples.map((s) => [crc32c(s), maskedCrc32c(s)])).toEqual(expected);
  });
});
