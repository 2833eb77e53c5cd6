/**
 * StructuredLogger (the Python API's `structured` module): records checked against a schema before
 * anything is written. A valid record becomes one OTel log record (event `jepa.structured`, the
 * record as its body) and its numeric leaves a metrics row (`{metrics: {loss: 0.5}}` logs
 * `metrics/loss`); an invalid one throws an error that lists every violation, and nothing is
 * written.
 *
 * The schema is the Python API's form, `{field: {type, required}}` with types `dict`, `list`,
 * `str`,
 * `int`, `float`, `number`, `bool` and `any` (or their JSON names), other keys of a field passed
 * on as JSON Schema keywords (`{type: 'float', minimum: 0}`); or any JSON Schema (draft-07 or
 * 2019-09 keywords, checked by Ajv). A schema whose every value is a field of the Python API's form
 * is read as the Python API's form; any other as JSON Schema.
 */
import type { AnyValue, AnyValueMap } from '@opentelemetry/api-logs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ConfigError } from '../config/errors.js';
import * as z from '../config/zod.js';
import { Attr, INSTRUMENTATION_SCOPE, Severity } from '../events/events.js';
import { lazyModule } from '../lazy-module.js';
import { globalLogsApi } from '../telemetry/app-providers.js';
import { isPlainObject } from '../values.js';
import type { LoggerConfig } from './base-logger.js';
import {
  LoggerWrapper,
  type LoggerWrapperOptions,
  resolveWrapper,
  runOf,
} from './logger-wrapper.js';
import { flattenMetrics } from './utils.js';

/** JSON Schema validation, loaded by the first StructuredLogger. */
const ajvModule = lazyModule<typeof import('ajv')>('ajv');

/** The event name of a structured record. */
export const STRUCTURED_EVENT = 'jepa.structured';

/** Seed type names and the JSON Schema types they stand for. */
const SEED_TYPES: Readonly<Record<string, string | undefined>> = {
  dict: 'object',
  object: 'object',
  list: 'array',
  array: 'array',
  str: 'string',
  string: 'string',
  int: 'integer',
  integer: 'integer',
  float: 'number',
  number: 'number',
  bool: 'boolean',
  boolean: 'boolean',
  any: undefined,
};

/** A field of the Python API's schema form. */
export interface SeedField {
  readonly type: keyof typeof SEED_TYPES;
  readonly required?: boolean;
  /** Further JSON Schema keywords for the field (`minimum`, `properties`, ...). */
  readonly [keyword: string]: unknown;
}

export type JsonSchema = Readonly<Record<string, unknown>>;

/** One way a record breaks the schema. */
export interface Violation {
  /** Where, as a dotted path from the record (`metadata.epoch`); empty for the record itself. */
  readonly path: string;
  readonly message: string;
}

/** A record that does not match the schema; `violations` lists every problem. */
export class StructuredRecordError extends Error {
  constructor(readonly violations: readonly Violation[]) {
    super(
      `logStructured: the record does not match the schema (${violations.length} problem${
        violations.length === 1 ? '' : 's'
      }):\n${violations.map((v) => `  - ${v.path || '(record)'}: ${v.message}`).join('\n')}`,
    );
    this.name = 'StructuredRecordError';
  }
}

const optionsSchema = z.object({
  schema: z.record(z.string(), z.unknown(), {
    error: 'expected a schema: {field: {type, required}} or a JSON Schema object',
  }),
});

export class StructuredLogger extends LoggerWrapper {
  /** The schema as JSON Schema (the Python API's form translated). */
  readonly jsonSchema: JsonSchema;
  private readonly check: ValidateFunction;

  /**
   * @param config `schema` (required); `base_logger` or `backend`: the logger to write through,
   *   a logger or a registered backend name (default `console`, configured by the other keys).
   */
  constructor(config: LoggerConfig, options: LoggerWrapperOptions = {}) {
    const { own, base, rest } = resolveWrapper('StructuredLogger', optionsSchema, config);
    const { schema } = own;
    super(config, base, options);
    this.warnIgnored('StructuredLogger', rest, 'they configure a backend given by name');
    this.jsonSchema = isSeedSchema(schema) ? fromSeedSchema(schema) : schema;
    const diagnostics = this.logger;
    const { Ajv } = ajvModule();
    const ajv = new Ajv({
      allErrors: true,
      logger: {
        log: (...args: unknown[]) => diagnostics.info(args.join(' ')),
        warn: (...args: unknown[]) =>
          diagnostics.warning(`StructuredLogger schema: ${args.join(' ')}`),
        error: (...args: unknown[]) =>
          diagnostics.error(`StructuredLogger schema: ${args.join(' ')}`),
      },
    });
    try {
      this.check = ajv.compile(this.jsonSchema);
    } catch (error) {
      throw new ConfigError([
        { path: 'StructuredLogger.schema', message: (error as Error).message },
      ]);
    }
  }

  /** Every violation of the schema by `record`; empty when it is valid. */
  validate(record: unknown): Violation[] {
    if (this.check(record)) return [];
    return (this.check.errors ?? []).map((error) => violationOf(error, record));
  }

  /**
   * Checks `record` and logs it: one OTel log record, and its numeric leaves as a metrics row at
   * `step` (the next step when omitted). Throws a `StructuredRecordError` listing every
   * violation when it does not match the schema; nothing is written then.
   */
  logStructured(record: Readonly<Record<string, unknown>>, step?: number): void {
    const violations = this.validate(record);
    if (violations.length > 0) throw new StructuredRecordError(violations);
    const numeric: Record<string, number | bigint> = {};
    for (const [key, value] of Object.entries(flattenMetrics(record))) {
      if (typeof value === 'number' || typeof value === 'bigint') numeric[key] = value;
    }
    if (Object.keys(numeric).length > 0) this.base.logMetrics(numeric, step);
    const run = runOf(this.base);
    const at = step ?? (run ? Math.max(run.step, 0) : undefined);
    const event = {
      eventName: STRUCTURED_EVENT,
      severityNumber: Severity.INFO,
      severityText: 'INFO',
      body: toAnyValue(record) as AnyValueMap,
      ...(at === undefined ? {} : { attributes: { [Attr.step]: at } }),
    };
    if (run) run.emitEvent(event);
    else globalLogsApi().getLogger(INSTRUMENTATION_SCOPE).emit(event);
  }
}

/** True when every value is a field of the Python API's form (`{type: 'dict', required: true}`). */
export function isSeedSchema(schema: JsonSchema): schema is Readonly<Record<string, SeedField>> {
  const fields = Object.values(schema);
  return (
    fields.length > 0 &&
    fields.every(
      (field) => isPlainObject(field) && typeof field.type === 'string' && field.type in SEED_TYPES,
    )
  );
}

/** The Python API's form as JSON Schema: an object with these properties, extra ones allowed. */
export function fromSeedSchema(schema: Readonly<Record<string, SeedField>>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, { type, required: isRequired, ...keywords }] of Object.entries(schema)) {
    const jsonType = SEED_TYPES[type];
    properties[name] = jsonType ? { type: jsonType, ...keywords } : keywords;
    if (isRequired) required.push(name);
  }
  return { type: 'object', properties, required };
}

function violationOf(error: ErrorObject, record: unknown): Violation {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { path: [...segments, missing].join('.'), message: 'is required but missing' };
  }
  let value: unknown = record;
  for (const segment of segments) value = (value as Record<string, unknown> | undefined)?.[segment];
  const got = error.keyword === 'type' ? `, got ${jsonTypeOf(value)}` : '';
  return { path: segments.join('.'), message: `${error.message ?? 'is invalid'}${got}` };
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A validated record as an OTel log body: JSON-like values, dates as ISO text. */
function toAnyValue(value: unknown): AnyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'object') return typeof value === 'function' ? null : (value as AnyValue);
  if (value instanceof Uint8Array) return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toAnyValue);
  const out: AnyValueMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined && typeof item !== 'function') out[key] = toAnyValue(item);
  }
  return out;
}
