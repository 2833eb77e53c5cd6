import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  crc32c,
  crc32cImplementation,
  crc32cPure,
  maskedCrc32c,
  useCrc32c,
} from '../../../src/exporters/tensorboard/crc32c.js';
import { runPythonJson } from '../../support/python.js';

const source = join(import.meta.dirname, '../../../src/exporters/tensorboard/crc32c.ts');

afterEach(() => {
  useCrc32c('native');
});

describe.each(['native', 'pure'] as const)('crc32c, %s', (implementation) => {
  it('is the one in use', () => {
    expect(useCrc32c(implementation)).toBe(true);
    expect(crc32cImplementation()).toBe(implementation);
  });

  it('matches the vectors of docs/architecture.md', () => {
    useCrc32c(implementation);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(maskedCrc32c(Buffer.from('\x1a\x11CRC test, one two', 'latin1'))).toBe(0x5794d08a);
  });

  it('reads only the bytes of a view, not the rest of its buffer', () => {
    useCrc32c(implementation);
    const buffer = new Uint8Array(64).fill(7);
    buffer.fill(0, 16, 48);
    expect(crc32c(buffer.subarray(16, 48))).toBe(0x8a9136aa);
  });

  it("agrees with the crc32c package and TensorBoard's masked CRC on random data", async () => {
    useCrc32c(implementation);
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

describe('the pure crc32c', () => {
  it('agrees with the native one at every length and alignment', () => {
    expect(crc32cImplementation()).toBe('native');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.nat(7), (bytes, offset) => {
        const view = bytes.subarray(Math.min(offset, bytes.length));
        expect(crc32cPure(view)).toBe(crc32c(view));
      }),
      { numRuns: 500, seed: 13 },
    );
  });

  it('is what crc32c falls back to when the native binding cannot be loaded', async () => {
    // A copy outside the repository, where `@node-rs/crc32` does not resolve: as installed with
    // --omit=optional, or on a platform without a prebuilt binary.
    const copy = join(mkdtempSync(join(tmpdir(), 'crc32c-fallback-')), 'crc32c.ts');
    copyFileSync(source, copy);
    const fallback = (await import(
      copy
    )) as typeof import('../../../src/exporters/tensorboard/crc32c.js');
    expect(fallback.crc32cImplementation()).toBe('pure');
    expect(fallback.useCrc32c('native')).toBe(false);
    expect(fallback.crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(fallback.maskedCrc32c(Buffer.from('\x1a\x11CRC test, one two', 'latin1'))).toBe(
      0x5794d08a,
    );
  });
});
