/**
 * What counts as a secret wherever configuration, call arguments or hyperparameters are shown: a
 * value under a name like `api_key` or `token`, and a value shaped like a credential whatever its
 * name (a W&B key pasted into `base_url`).
 */
import { isPlainObject } from './values.js';

const SECRET_NAME = /key|token|secret|passw(or)?d|authorization|credential/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Text holding a credential: a run of 20 or more token characters with letters and digits (a W&B
 * key is 40 hexadecimal digits; GitHub, OpenAI and JWT tokens are such runs too), an
 * Authorization header value, or a URL with a password.
 */
export function looksLikeSecret(text: string): boolean {
  return (
    /^(bearer|basic)\s/i.test(text) ||
    /\/\/[^/@\s]*:[^/@\s]*@/.test(text) ||
    (text.match(/[\w-]{20,}/g) ?? []).some((run) => /\d/.test(run) && /[a-z]/i.test(run))
  );
}

/** What a masked value is shown as. */
export const MASK = '***';

/** `value` masked: a mapping keeps its keys (the names of headers, say), every value masked. */
export function mask(value: unknown): unknown {
  if (isPlainObject(value)) return Object.fromEntries(Object.keys(value).map((k) => [k, MASK]));
  return MASK;
}

/** `record` with the value of every secret name masked, at any depth (hyperparameters, dumps). */
export function maskSecretNames(
  record: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] = isSecretName(key)
      ? mask(value)
      : isPlainObject(value)
        ? maskSecretNames(value)
        : value;
  }
  return out;
}
