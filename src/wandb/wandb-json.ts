/**
 * JSON as W&B writes and reads it: NaN and the infinities are the bare tokens `NaN`, `Infinity`
 * and `-Infinity` (Python's `json` reads them; standard JSON has no way to say them), and -0 is
 * `-0.0`, as Python writes it (standard JSON writes it as 0; Python reads `-0` as the integer 0).
 * Anything else is standard JSON.
 *
 * Both directions go through strings carrying a marker no real string can hold (a NUL and a
 * random nonce): writing, those numbers become marked strings that are then replaced by their
 * tokens; reading, the bare tokens become marked strings that a reviver turns into numbers.
 */
import { randomBytes } from 'node:crypto';

const NONCE = randomBytes(8).toString('hex');
const MARK = `\u0000${NONCE}:`;
/** The marker as JSON.stringify escapes it. */
const MARK_JSON = `\\u0000${NONCE}:`;
const TOKENS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};
const TOKEN_NAMES = ['-Infinity', 'Infinity', 'NaN'];
const MARKED = new RegExp(
  `"${MARK_JSON.replaceAll('\\', '\\\\')}(NaN|Infinity|-Infinity|-0\\.0)"`,
  'g',
);

export function wandbJson(value: unknown): string {
  if (typeof value === 'number') return numberJson(value);
  const text = JSON.stringify(value, (_key, item) =>
    typeof item === 'number' && (!Number.isFinite(item) || Object.is(item, -0))
      ? `${MARK}${numberJson(item)}`
      : item,
  );
  // JSON.stringify gives nothing for undefined and functions.
  return text === undefined ? 'null' : text.replace(MARKED, '$1');
}

/** The value of `text`; throws a SyntaxError when it is not (W&B) JSON. */
export function parseWandbJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  return JSON.parse(markTokens(text), (_key, value) =>
    typeof value === 'string' && value.startsWith(MARK) ? TOKENS[value.slice(MARK.length)] : value,
  );
}

function numberJson(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0.0' : String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

function markTokens(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    const token = TOKEN_NAMES.find((name) => text.startsWith(name, i));
    if (token) {
      out += `${text.slice(from, i)}"${MARK_JSON}${token}"`;
      i += token.length - 1;
      from = i + 1;
    }
  }
  return out + text.slice(from);
}
