/**
 * CRC-32C (Castagnoli) and the masked form TFRecord files store. The native `@node-rs/crc32`
 * binding is an optional speed-up: it is loaded on the first CRC, and when it is missing (installed
 * with `--omit=optional`, or no prebuilt binary for the platform) a pure TypeScript slice-by-8 one
 * computes the same values.
 */
import { createRequire } from 'node:module';

type Crc32c = (bytes: Uint8Array) => number;
export type Crc32cImplementation = 'native' | 'pure';

/**
 * Eight tables of 256: table k maps a byte to the CRC of that byte followed by k zero bytes, so a
 * loop can fold eight bytes per step with eight lookups (Intel's slicing-by-8).
 */
const TABLES = (() => {
  const tables = new Int32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    tables[byte] = crc;
  }
  for (let i = 256; i < tables.length; i++) {
    const previous = tables[i - 256]!;
    tables[i] = (previous >>> 8) ^ tables[previous & 0xff]!;
  }
  return tables;
})();

/** The pure TypeScript CRC-32C. */
export function crc32cPure(bytes: Uint8Array): number {
  const t = TABLES;
  const length = bytes.length;
  let crc = -1;
  let i = 0;
  for (const end = length - 7; i < end; i += 8) {
    crc ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    crc =
      t[1792 + (crc & 0xff)]! ^
      t[1536 + ((crc >>> 8) & 0xff)]! ^
      t[1280 + ((crc >>> 16) & 0xff)]! ^
      t[1024 + (crc >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < length; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]!) & 0xff]!;
  return ~crc >>> 0;
}

/** The native binding's CRC-32C, or undefined when it cannot be loaded. */
function loadNative(): Crc32c | undefined {
  try {
    // require, not import: the first CRC is computed synchronously, and a failed load is caught.
    return (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: Crc32c }).crc32c;
  } catch {
    return undefined;
  }
}

/** The native CRC once tried: null when its binding did not load. */
let native: Crc32c | null | undefined;
let selected: Crc32c | undefined;

function nativeCrc32c(): Crc32c | null {
  if (native === undefined) native = loadNative() ?? null;
  return native;
}

function selectedCrc32c(): Crc32c {
  if (selected === undefined) selected = nativeCrc32c() ?? crc32cPure;
  return selected;
}

export function crc32c(bytes: Uint8Array): number {
  return selectedCrc32c()(bytes) >>> 0;
}

/** Which implementation `crc32c` uses: the native one when its binding loads. */
export function crc32cImplementation(): Crc32cImplementation {
  return selectedCrc32c() === crc32cPure ? 'pure' : 'native';
}

/**
 * Makes `crc32c` use `implementation` from now on, so the benchmark can compare both in one
 * process. Returns false (and changes nothing) when the native binding is absent.
 */
export function useCrc32c(implementation: Crc32cImplementation): boolean {
  const chosen = implementation === 'pure' ? crc32cPure : nativeCrc32c();
  if (!chosen) return false;
  selected = chosen;
  return true;
}

/**
 * The CRC rotated and offset, as TFRecord stores it: a CRC computed over data that itself contains
 * CRCs is then not trivially zero.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
