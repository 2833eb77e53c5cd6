/**
 * Arguments and results of logged calls as span attributes: short, bounded summaries with
 * secrets redacted. Nothing is serialized without bound: containers show their first entries
 * and a count, tensors their dtype and shape, and every summary is cut at `maxLength`.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { isSecretName } from '../secrets.js';

export const REDACTED = '[REDACTED]';
/** Characters a summary keeps. */
export const MAX_SUMMARY_LENGTH = 256;
/** Arguments recorded per call; later ones are counted only. */
export const MAX_ARGUMENTS = 16;
export const ARGUMENT_PREFIX = 'jepa.call.arg.';
export const ARGUMENT_COUNT = 'jepa.call.arg_count';
export const RESULT = 'jepa.call.result';

/** A W&B API key: 40 hexadecimal characters. */
const WANDB_KEY = /^[0-9a-f]{40}$/i;
const MAX_ENTRIES = 8;
const MAX_DEPTH = 2;

/**
 * Attributes for a call's arguments: `jepa.call.arg.<parameter name>` (the position when the
 * parameter has no simple name; `<rest>.<i>` for a rest parameter's values) and
 * `jepa.call.arg_count`.
 */
export function argumentAttributes(
  names: readonly ParameterName[],
  args: readonly unknown[],
  maxLength = MAX_SUMMARY_LENGTH,
): Attributes {
  const attributes: Attributes = { [ARGUMENT_COUNT]: args.length };
  const rest = names.at(-1)?.rest ? names.length - 1 : -1;
  const count = Math.min(args.length, MAX_ARGUMENTS);
  for (let i = 0; i < count; i++) {
    const parameter = rest >= 0 && i >= rest ? names[rest] : names[i];
    const label =
      parameter?.name === undefined
        ? String(i)
        : parameter.rest
          ? `${parameter.name}.${i - rest}`
          : parameter.name;
    attributes[ARGUMENT_PREFIX + label] =
      parameter?.name !== undefined && isSecretName(parameter.name)
        ? REDACTED
        : summarize(args[i], maxLength);
  }
  return attributes;
}

/**
 * A bounded, redacted summary of any value: numbers and booleans as they are, everything else as
 * text of at most `maxLength` characters.
 */
export function summarize(value: unknown, maxLength = MAX_SUMMARY_LENGTH): AttributeValue {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  let text: string;
  try {
    text = typeof value === 'string' ? redactValue(value) : describe(value, 0);
  } catch {
    text = '[unreadable]';
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

function redactValue(text: string): string {
  return WANDB_KEY.test(text) ? REDACTED : text;
}

function describe(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return depth === 0 ? redactValue(value) : JSON.stringify(redactValue(value).slice(0, 64));
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'symbol':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (isTensorLike(object)) return `Tensor(${object.dtype}, [${object.shape.join(', ')}])`;
  if (ArrayBuffer.isView(object)) {
    const length = (object as unknown as { length?: number }).length ?? object.byteLength;
    return `${object.constructor.name}(${length})`;
  }
  if (object instanceof Error) return `${object.name}: ${object.message}`;
  if (object instanceof Date) return object.toISOString();
  if (object instanceof Map || object instanceof Set)
    return `${object.constructor.name}(${object.size})`;
  if (depth >= MAX_DEPTH) return Array.isArray(object) ? '[…]' : '{…}';
  if (Array.isArray(object)) {
    const shown = object.slice(0, MAX_ENTRIES).map((item) => describe(item, depth + 1));
    const more = object.length - shown.length;
    return `[${shown.join(', ')}${more > 0 ? `, … ${more} more` : ''}]`;
  }
  return describeObject(object, depth);
}

function describeObject(object: object, depth: number): string {
  const entries: string[] = [];
  let more = 0;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (entries.length === MAX_ENTRIES) {
      more++;
      continue;
    }
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    const shown = isSecretName(key)
      ? REDACTED
      : descriptor && 'value' in descriptor
        ? describe(descriptor.value, depth + 1)
        : '[Getter]';
    entries.push(`${key}: ${shown}`);
  }
  const prototype = Object.getPrototypeOf(object);
  const name =
    prototype === Object.prototype || prototype === null ? '' : `${object.constructor?.name} `;
  return `${name}{${entries.join(', ')}${more > 0 ? `, … ${more} more` : ''}}`;
}

function isTensorLike(value: object): value is { dtype: string; shape: readonly number[] } {
  const candidate = value as { dtype?: unknown; shape?: unknown };
  return typeof candidate.dtype === 'string' && Array.isArray(candidate.shape);
}

/** A parameter as the function's source declares it; `name` undefined for a destructured one. */
export interface ParameterName {
  readonly name: string | undefined;
  readonly rest: boolean;
}

/**
 * The parameters of `fn` read from its source text (`Function.prototype.toString`), which keeps
 * the names after compilation: `(apiKey, batch = 1, ...rest)` gives apiKey, batch and rest.
 * Destructured parameters have no name; native and bound functions give none at all.
 */
export function parameterNames(fn: (...args: never[]) => unknown): ParameterName[] {
  const source = Function.prototype.toString.call(fn);
  const arrowSingle = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
  if (arrowSingle) return [{ name: arrowSingle[1], rest: false }];
  const open = source.indexOf('(');
  if (open < 0) return [];
  const list = topLevelParts(source, open + 1);
  return list
    .map((part) => part.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '').trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const rest = part.startsWith('...');
      const match = /^[A-Za-z_$][\w$]*/.exec(rest ? part.slice(3).trim() : part);
      return { name: match?.[0], rest };
    });
}

/** The comma-separated parts of the list starting at `from`, up to its closing parenthesis. */
function topLevelParts(source: string, from: number): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(source, i);
    } else if (c === '/' && (source[i + 1] === '/' || source[i + 1] === '*')) {
      const end = source[i + 1] === '/' ? source.indexOf('\n', i) : source.indexOf('*/', i + 2) + 1;
      i = end <= 0 ? source.length : end;
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
    } else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        parts.push(source.slice(start, i));
        return parts;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  return [];
}

function skipString(source: string, at: number): number {
  const quote = source[at];
  for (let i = at + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i;
  }
  return source.length;
}
