/** CRC-32C (Castagnoli) and the masked form TFRecord files store. */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(bytes: Uint8Array): number {
  return nativeCrc32c(bytes) >>> 0;
}

/**
 * The CRC rotated and offset, as TFRecord stores it: a CRC computed over data that itself contains
 * CRCs is then not trivially zero.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
