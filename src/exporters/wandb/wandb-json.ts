/**
 * JSON as W&B writes it: NaN and the infinities are the bare tokens `NaN`, `Infinity` and
 * `-Infinity` (Python's `json` reads them; standard JSON has no way to say them).
 */
import { randomBytes } from 'node:crypto';

export function wandbJson(value: unknown): string {
  if (typeof value === 'number') return numberJson(value);
  const text = JSON.stringify(value) ?? 'null';
  // Standard JSON writes non-finite numbers as null: only then is there more to do.
  return text.includes('null') ? withBareTokens(value) : text;
}

/**
 * Non-finite numbers are first written as strings carrying a marker no logged string can hold (a
 * NUL and a random nonce), which are then replaced by the bare tokens.
 */
const NONCE = randomBytes(8).toString('hex');
const MARKED = new RegExp(`"\\\\u0000${NONCE}:(NaN|Infinity|-Infinity)"`, 'g');

function withBareTokens(value: unknown): string {
  const text = JSON.stringify(value, (_key, item) =>
    typeof item === 'number' && !Number.isFinite(item)
      ? `\u0000${NONCE}:${numberJson(item)}`
      : item,
  );
  return text.replace(MARKED, '$1');
}

function numberJson(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}
