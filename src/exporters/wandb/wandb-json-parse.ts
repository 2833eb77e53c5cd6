/**
 * Reading JSON as W&B writes it (`wandbJson` writes it): the bare tokens `NaN`, `Infinity` and
 * `-Infinity` are numbers. Anything else is standard JSON.
 */
import { randomBytes } from 'node:crypto';

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

/**
 * The bare tokens become strings carrying a marker no parsed string can hold (a NUL and a random
 * nonce); the reviver turns them back into numbers.
 */
const NONCE = randomBytes(8).toString('hex');
const MARK = `\u0000${NONCE}:`;
const MARK_JSON = `\\u0000${NONCE}:`;
const TOKENS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};
const TOKEN_NAMES = ['-Infinity', 'Infinity', 'NaN'];

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
