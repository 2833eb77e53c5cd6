/**
 * LoggingConfig (the Python API's `config.LoggingConfig`): a dict or a YAML file (its `logging:`
 * section when there is one) checked against the schema, with defaults and environment variables
 * filled in. Wrong types and unknown backends are errors that list every problem; unknown keys are
 * warnings that suggest the nearest known key. camelCase spellings of keys (`logDir`) are accepted.
 */
import { type DiagnosticLogger, stderrDiagnostics } from '../diagnostics.js';
import type { Environment } from '../environment.js';
import { looksLikeSecret, mask, maskSecretNames } from '../secrets.js';
import { isPlainObject } from '../values.js';
import { ConfigError, type ConfigProblem, formatProblem } from './errors.js';
import {
  type BuiltinBackend,
  type GlobalConfig,
  globalSchema,
  type LoggingConfigInput,
  type SectionConfig,
  sectionSchemas,
} from './schema.js';
import type { KeyMeta } from './sections/common.js';
import { closestMatch } from './suggest.js';
import { loadYamlFile, type YamlSource } from './yaml.js';
import * as z from './zod.js';

/** `util.inspect.custom`, by its registered name: the declarations then need no Node.js types. */
const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

export interface LoggingConfigOptions {
  /** Where `env` keys are read from. Default `process.env`. */
  readonly env?: Environment;
  /** Receives the warnings (unknown keys). Default stderr. */
  readonly diagnostics?: DiagnosticLogger;
  /** Names of registered custom backends, whose sections are not checked. */
  readonly customBackends?: readonly string[];
}

type AnySchema = z.ZodMiniObject<Record<string, z.ZodMiniType>>;
const BUILTINS = Object.keys(sectionSchemas) as BuiltinBackend[];
/**
 * Unknown keys warned about one by one; the rest are counted in one line, so a file of 20,000
 * stray keys does not print 20,000 lines (`LoggingConfig.warnings` and validate-config have all).
 */
const WARNINGS_SHOWN = 10;
/** Shown instead of a value that looks like a key pasted into the wrong field. */
const HIDDEN = '(a value that looks like a secret, not shown)';

export class LoggingConfig {
  /** Problems that did not stop loading (unknown keys), already reported to the diagnostics. */
  readonly warnings: readonly ConfigProblem[];

  private constructor(
    readonly global: GlobalConfig,
    private readonly sections: ReadonlyMap<string, Record<string, unknown>>,
    warnings: readonly ConfigProblem[],
    /** The file it came from, if any. */
    readonly file?: string,
  ) {
    this.warnings = warnings;
  }

  static fromDict<Custom extends string = never>(
    input: LoggingConfigInput<Custom>,
    options: LoggingConfigOptions = {},
  ): LoggingConfig {
    return LoggingConfig.parse(input, undefined, options);
  }

  static fromYaml(file: string, options: LoggingConfigOptions = {}): LoggingConfig {
    return LoggingConfig.fromYamlSource(loadYamlFile(file), options);
  }

  /** A YAML file already read (`loadYamlFile`), checked with its line numbers. */
  static fromYamlSource(source: YamlSource, options: LoggingConfigOptions = {}): LoggingConfig {
    return LoggingConfig.parse(undefined, source, options);
  }

  /** A dict, a YAML path, or a LoggingConfig (returned as is). */
  static load(config: unknown, options: LoggingConfigOptions = {}): LoggingConfig {
    if (config instanceof LoggingConfig) return config;
    if (typeof config === 'string') return LoggingConfig.fromYaml(config, options);
    return LoggingConfig.parse(config ?? {}, undefined, options);
  }

  get backends(): readonly string[] {
    return this.global.backends;
  }

  /** The checked section of a built-in backend (defaults filled), or a custom backend's as given. */
  section<B extends BuiltinBackend>(name: B): SectionConfig<B>;
  section(name: string): Record<string, unknown>;
  section(name: string): Record<string, unknown> {
    return this.sections.get(name) ?? (schemaOf(name) ? defaultsOf(name as BuiltinBackend) : {});
  }

  /** What `console.log` and `util.inspect` show (a logger printed whole shows its config): masked. */
  [inspectCustom](): Record<string, unknown> {
    return this.toDict();
  }

  /** The resolved configuration as a plain object, secrets masked (for dumps and `validate-config`). */
  toDict(): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.global };
    for (const [name, section] of this.sections) {
      const schema = schemaOf(name);
      out[name] = schema ? maskSecrets(section, schema) : maskSecretNames(section);
    }
    return out;
  }

  private static parse(
    input: unknown,
    yaml: YamlSource | undefined,
    options: LoggingConfigOptions,
  ): LoggingConfig {
    const env = options.env ?? process.env;
    const diagnostics = options.diagnostics ?? stderrDiagnostics();
    const raw = yaml ? yaml.data : input;
    const base: (string | number)[] = [];
    let root: unknown = raw ?? {};
    if (isPlainObject(root) && isPlainObject(root.logging)) {
      root = root.logging;
      base.push('logging');
    }
    const problems: ConfigProblem[] = [];
    const warnings: ConfigProblem[] = [];
    const at = (
      path: (string | number)[],
      message: string,
      suggestion?: string,
    ): ConfigProblem => ({
      path: path.join('.'),
      message,
      suggestion,
      file: yaml?.file,
      line: yaml?.lineOf([...base, ...path]),
    });
    if (!isPlainObject(root)) {
      throw new ConfigError([at([], `expected a mapping of settings, got ${typeName(root)}`)]);
    }
    const custom = new Set(options.customBackends ?? []);
    const backendsValue = root.backends;
    const listed = Array.isArray(backendsValue)
      ? backendsValue.filter((b): b is string => typeof b === 'string')
      : [];
    const sectionNames = new Set<string>([...BUILTINS, ...listed, ...custom]);

    const globalInput: Record<string, unknown> = {};
    const sectionInputs = new Map<string, unknown>();
    for (const [rawKey, value] of Object.entries(root)) {
      const key = normalizeKey(rawKey, globalSchema as unknown as AnySchema);
      if (Object.hasOwn(globalSchema.shape, key)) globalInput[key] = value;
      else if (sectionNames.has(rawKey)) sectionInputs.set(rawKey, value);
      else {
        const suggestion = closestMatch(rawKey, [
          ...Object.keys(globalSchema.shape),
          ...sectionNames,
        ]);
        warnings.push(at([rawKey], 'unknown key, ignored', suggestion));
      }
    }

    const global = checkObject(
      globalSchema as unknown as AnySchema,
      withEnv(globalInput, globalSchema as unknown as AnySchema, env),
      [],
      at,
      problems,
    ) as GlobalConfig | undefined;

    const seen = new Set<string>();
    // Indexed in the list as given: its other entries are type errors, reported by the schema.
    for (const [index, name] of (Array.isArray(backendsValue) ? backendsValue : []).entries()) {
      if (typeof name !== 'string') continue;
      const shown = looksLikeSecret(name) ? HIDDEN : `'${name}'`;
      if (seen.has(name)) {
        // It would run twice: two event files, two W&B runs of one id, every line doubled.
        problems.push(at(['backends', index], `backend ${shown} is listed twice`));
      } else if (!schemaOf(name) && !custom.has(name)) {
        problems.push(
          at(
            ['backends', index],
            `unknown backend ${shown}; known: ${[...BUILTINS, ...custom].join(', ')}`,
            closestMatch(name, [...BUILTINS, ...custom]),
          ),
        );
      }
      seen.add(name);
    }
    const sections = new Map<string, Record<string, unknown>>();
    for (const [name, value] of sectionInputs) {
      const schema = schemaOf(name);
      if (value !== undefined && value !== null && !isPlainObject(value)) {
        problems.push(at([name], `expected a mapping of ${name} settings, got ${typeName(value)}`));
        continue;
      }
      const given = (value ?? {}) as Record<string, unknown>;
      if (!schema) {
        sections.set(name, given);
        continue;
      }
      const normalized: Record<string, unknown> = {};
      for (const [rawKey, item] of Object.entries(given)) {
        const key = normalizeKey(rawKey, schema);
        if (Object.hasOwn(schema.shape, key)) normalized[key] = item;
        else
          warnings.push(
            at(
              [name, rawKey],
              `unknown ${name} key, ignored`,
              closestMatch(rawKey, Object.keys(schema.shape)),
            ),
          );
      }
      const checked = checkObject(schema, withEnv(normalized, schema, env), [name], at, problems);
      if (checked) sections.set(name, checked);
    }
    for (const name of listed) {
      const schema = schemaOf(name);
      if (schema && !sections.has(name) && !sectionInputs.has(name)) {
        const checked = checkObject(schema, withEnv({}, schema, env), [name], at, problems);
        if (checked) sections.set(name, checked);
      }
    }

    if (problems.length > 0 || !global) throw new ConfigError(problems, warnings);
    for (const warning of warnings.slice(0, WARNINGS_SHOWN)) {
      diagnostics.warning(`config: ${formatProblem(warning)}`);
    }
    if (warnings.length > WARNINGS_SHOWN) {
      diagnostics.warning(
        `config: ${warnings.length - WARNINGS_SHOWN} more unknown keys ignored` +
          `${yaml ? ` in ${yaml.file}` : ''} (jepa-loggers validate-config lists them all)`,
      );
    }
    return new LoggingConfig(global, sections, warnings, yaml?.file);
  }
}

/**
 * Sections and settings a parse produced: they reach the backends as they are, so that one
 * `createLogger` parses its configuration once.
 */
const valid = new WeakSet<object>();

/** Whether `value` is a section or the settings of a parsed configuration, or `asValid` made it. */
export function isValid(value: object): boolean {
  return valid.has(value);
}

/** `value`, built from parsed sections and settings alone, marked valid as they are. */
export function asValid<T extends object>(value: T): T {
  valid.add(value);
  return value;
}

/** Checks a section of a built-in backend given in code (a logger's constructor argument). */
export function parseSection<B extends BuiltinBackend>(
  name: B,
  input: Readonly<Record<string, unknown>> = {},
  options: LoggingConfigOptions = {},
): SectionConfig<B> {
  if (isValid(input)) return input as SectionConfig<B>;
  return LoggingConfig.load({ backends: [], [name]: input }, options).section(name);
}

function checkObject(
  schema: AnySchema,
  input: Record<string, unknown>,
  path: string[],
  at: (path: (string | number)[], message: string) => ConfigProblem,
  problems: ConfigProblem[],
): Record<string, unknown> | undefined {
  const result = schema.safeParse(input);
  if (result.success) {
    valid.add(result.data as object);
    return result.data as Record<string, unknown>;
  }
  for (const issue of result.error.issues) {
    const issuePath = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const secret = isSecret(schema, String(issuePath[0]));
    const given = secret ? '' : `, got ${describeValue(valueAt(input, issuePath))}`;
    const message = issue.message
      .replace(/^Invalid (input|option): /, '')
      .replace(/, received \w+$/, '');
    problems.push(at([...path, ...issuePath], `${message}${given}`));
  }
  return undefined;
}

/** Fills keys the input lacks from their environment variables, converted to the key's type. */
function withEnv(
  input: Record<string, unknown>,
  schema: AnySchema,
  env: Environment,
): Record<string, unknown> {
  const out = { ...input };
  for (const [key, field] of Object.entries(schema.shape)) {
    const variable = (z.globalRegistry.get(field) as KeyMeta | undefined)?.env;
    const raw = variable ? env[variable] : undefined;
    if (out[key] !== undefined || raw === undefined || raw === '') continue;
    const candidates: unknown[] = [
      raw,
      Number(raw),
      /^(true|1|yes)$/i.test(raw) ? true : /^(false|0|no)$/i.test(raw) ? false : raw,
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ];
    out[key] = candidates.find((candidate) => field.safeParse(candidate).success) ?? raw;
  }
  return out;
}

function normalizeKey(key: string, schema: AnySchema): string {
  if (Object.hasOwn(schema.shape, key)) return key;
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return Object.hasOwn(schema.shape, snake) ? snake : key;
}

function isSecret(schema: AnySchema, key: string): boolean {
  const field = schema.shape[key];
  return Boolean(field && (z.globalRegistry.get(field) as KeyMeta | undefined)?.secret);
}

function maskSecrets(section: Record<string, unknown>, schema: AnySchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    out[key] = isSecret(schema, key) && value !== undefined ? mask(value) : value;
  }
  return out;
}

/**
 * The schema of a built-in backend; undefined for any other name, `toString` and `constructor`
 * included (an `in` test would find them on the prototype).
 */
function schemaOf(name: string): AnySchema | undefined {
  return Object.hasOwn(sectionSchemas, name)
    ? (sectionSchemas[name as BuiltinBackend] as unknown as AnySchema)
    : undefined;
}

function defaultsOf(name: BuiltinBackend): Record<string, unknown> {
  return (sectionSchemas[name] as unknown as AnySchema).parse({}) as Record<string, unknown>;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'bigint') return `bigint ${value}n`;
  // JSON.stringify gives nothing for functions and symbols.
  if (typeof value === 'string') {
    return `string ${looksLikeSecret(value) ? HIDDEN : JSON.stringify(value)}`;
  }
  return ['number', 'boolean'].includes(typeof value)
    ? `${typeof value} ${JSON.stringify(value)}`
    : typeof value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  return typeName(value);
}
