/**
 * Configurations as arbitrary dicts and arbitrary YAML files (fast-check, thousands of each):
 * every one is either a LoggingConfig or a ConfigError whose problems each name a key (or, for a
 * file that is not YAML or not a mapping, the file and line); never another exception. Unknown
 * keys are warnings naming the key. A secret given anywhere (`wandb.api_key`, `otlp.headers`) is
 * in no error, warning or dump.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { sectionSchemas } from '../../src/config/schema.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';

const scratch = mkdtempSync(join(tmpdir(), 'config-property-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SECRET = 'Zq8secretValue0123456789abcdef';
const sections = Object.keys(sectionSchemas) as (keyof typeof sectionSchemas)[];
const sectionKeys = Object.fromEntries(
  sections.map((name) => [name, Object.keys(sectionSchemas[name].shape)]),
) as Record<string, string[]>;
const globalKeys = [
  'level',
  'backends',
  'log_frequency',
  'save_frequency',
  'project',
  'run_name',
  'run_id',
  'instruments',
  'histogram_bins',
  'export_interval',
  'flush_timeout',
  'handle_signals',
];

const anyValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withTypedArray: true,
      maxDepth: 2,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(() => 0, Symbol('s'), Number.NaN, -1, Number.MAX_VALUE, ''),
  },
);
/** Known keys most of the time (so values reach the schema), and some unknown ones. */
const prototypeNames = fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty');
const keyOf = (known: string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.string({ maxLength: 10 }) },
    { weight: 1, arbitrary: prototypeNames },
  );
const sectionArb = (name: string) =>
  fc.dictionary(keyOf(sectionKeys[name]!), anyValue, { maxKeys: 5 });
const backendsArb = fc.array(
  fc.oneof(fc.constantFrom(...sections), fc.string({ maxLength: 8 }), prototypeNames),
  { maxLength: 4 },
);
/** Secrets where they belong, in shapes right and wrong. */
const secretsArb = fc.record(
  {
    wandb: fc.constantFrom<unknown>(
      { api_key: SECRET },
      { api_key: [SECRET] },
      { api_key: { k: SECRET } },
    ),
    otlp: fc.constantFrom<unknown>(
      { headers: { Authorization: `Bearer ${SECRET}` } },
      { headers: `Authorization=Bearer ${SECRET}` },
      { headers: { Authorization: 42, other: `Bearer ${SECRET}` } },
    ),
  },
  { requiredKeys: [] },
);
const dictArb = fc
  .tuple(
    fc.dictionary(keyOf(globalKeys), anyValue, { maxKeys: 4 }),
    fc.option(backendsArb),
    fc
      .dictionary(fc.constantFrom(...sections), fc.constant(null), { maxKeys: 4 })
      .chain((names) =>
        fc.record(Object.fromEntries(Object.keys(names).map((name) => [name, sectionArb(name)]))),
      ),
    secretsArb,
  )
  .map(([global, backends, sectionsGiven, secrets]) => {
    const out: Record<string, unknown> = { ...global, ...sectionsGiven };
    if (backends) out.backends = backends;
    for (const [name, secret] of Object.entries(secrets)) {
      const given = out[name];
      out[name] =
        given && typeof given === 'object' && !Array.isArray(given)
          ? { ...(given as object), ...(secret as object) }
          : secret;
    }
    return out;
  });

/** What a load must come to: a config, or a ConfigError that names where; never a secret. */
function check(load: () => LoggingConfig, diagnostics: CollectingDiagnostics, file?: string) {
  let config: LoggingConfig | undefined;
  try {
    config = load();
  } catch (error) {
    expect(error, String((error as Error)?.stack)).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem.message.length).toBeGreaterThan(0);
      // A problem names its key, or it is about the whole file (then the file and line).
      if (problem.path === '') expect(file === undefined || problem.file === file).toBe(true);
    }
    expect((error as Error).message).not.toContain(SECRET);
  }
  for (const { message } of diagnostics.messages) {
    expect(message).not.toContain(SECRET);
    expect(message).toMatch(/^config: .*unknown .*key, ignored/);
  }
  if (config) {
    expect(
      JSON.stringify(config.toDict(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    ).not.toContain(SECRET);
    // Every warning was given (the diagnostics are where users see them).
    expect(diagnostics.messages).toHaveLength(config.warnings.length);
  }
}

describe('configurations as arbitrary dicts', () => {
  it('load, or fail with a ConfigError naming each bad key; secrets never shown', () => {
    fc.assert(
      fc.property(dictArb, (dict) => {
        const diagnostics = new CollectingDiagnostics();
        check(() => LoggingConfig.fromDict(dict, { env: {}, diagnostics }), diagnostics);
      }),
      { numRuns: 3000 },
    );
  });

  it('anything at all as the whole config: a config or a ConfigError', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const diagnostics = new CollectingDiagnostics();
        check(() => LoggingConfig.load(value, { env: {}, diagnostics }), diagnostics);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('configurations as arbitrary YAML files', () => {
  const seed = readFileSync(
    join(import.meta.dirname, '../fixtures/config/seed-logging.yaml'),
    'utf8',
  );
  const seedLines = seed.split('\n');
  /** The seed's YAML with lines dropped, repeated, re-indented, or characters put in. */
  const mutatedSeed = fc
    .array(
      fc.tuple(
        fc.constantFrom('drop', 'repeat', 'indent', 'insert', 'secret'),
        fc.nat(seedLines.length - 1),
        fc.string({ unit: 'grapheme', maxLength: 4 }),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => {
      const lines = [...seedLines];
      for (const [edit, at, text] of edits) {
        const line = lines[at % lines.length] ?? '';
        if (edit === 'drop') lines.splice(at % lines.length, 1);
        else if (edit === 'repeat') lines.splice(at % lines.length, 0, line);
        else if (edit === 'indent') lines[at % lines.length] = ` ${line}`;
        else if (edit === 'insert')
          lines[at % lines.length] = `${line.slice(0, 4)}${text}${line.slice(4)}`;
        else
          lines.splice(
            at % lines.length,
            0,
            `  otlp:\n    headers: {Authorization: "Bearer ${SECRET}"}`,
          );
      }
      return lines.join('\n');
    });
  const yamlOfDict = dictArb.map((dict) =>
    JSON.stringify({ logging: dict }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)),
  );
  const text = fc.oneof(mutatedSeed, yamlOfDict, fc.string({ unit: 'grapheme', maxLength: 200 }));
  let files = 0;

  it('load, or fail with a ConfigError naming the file, the line or the key; secrets never shown', () => {
    fc.assert(
      fc.property(text, (yaml) => {
        const file = join(scratch, `config-${files++}.yaml`);
        writeFileSync(file, yaml);
        const diagnostics = new CollectingDiagnostics();
        check(() => LoggingConfig.fromYaml(file, { env: {}, diagnostics }), diagnostics, file);
      }),
      { numRuns: 3000 },
    );
  });
});
