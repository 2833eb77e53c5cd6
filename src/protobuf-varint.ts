/**
 * Protobuf varints, for the encoders that write their hot messages by hand (TensorBoard's scalar
 * rows, W&B's history records). Numbers are int64 as protobuf has them: a negative one takes 10
 * bytes (two's complement).
 */

/** Bytes of `value` as a varint. */
export function varintSize(value: number): number {
  if (value < 0) return 10;
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes `value` at `offset` of `out`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  let at = offset;
  if (value < 0) {
    let bits = BigInt.asUintN(64, BigInt(value));
    while (bits >= 128n) {
      out[at++] = Number(bits & 127n) | 128;
      bits >>= 7n;
    }
    out[at++] = Number(bits);
    return at;
  }
  while (value >= 128) {
    out[at++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}
