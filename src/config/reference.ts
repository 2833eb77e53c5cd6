/**
 * The configuration reference (docs/configuration.md), generated from the schema so the two
 * cannot drift: every key with its type, default, environment variable and description.
 */
import { globalSchema, sectionSchemas } from './schema.js';
import { MAX_SECONDS, MIN_SECONDS } from './sections/common.js';
import { MAX_CONFIG_CHARACTERS, MAX_KEYS_PER_MAPPING } from './yaml.js';
import * as z from './zod.js';

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  description?: string;
  env?: string;
  otelEnv?: string;
  secret?: boolean;
}

/** Every key path of the schema, `section.key` for section keys (for completeness checks). */
export function configurationKeys(): string[] {
  const keys = Object.keys(globalSchema.shape);
  for (const [section, schema] of Object.entries(sectionSchemas)) {
    keys.push(...Object.keys(schema.shape).map((key) => `${section}.${key}`));
  }
  return keys;
}

export const CONFIGURATION_DOC_HEADER = `# Configuration reference

Generated from the configuration schema by \`npm run docs\`; a test fails when this page and the
schema disagree. Keys are the Python API's (snake_case); in code, camelCase spellings (\`logDir\`) are
accepted too. A key's environment variable is read when the configuration does not set the key.
Unknown keys are warned about with the nearest known key; wrong types are errors that list every
problem with its file and line. Durations are in seconds, from ${MIN_SECONDS} to ${MAX_SECONDS} (a day): Node cannot
schedule a longer timer. A YAML file is read up to ${count(MAX_CONFIG_CHARACTERS)} characters and ${count(MAX_KEYS_PER_MAPPING)} keys per
mapping (a logging configuration is a few KB).
`;

function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function configurationReference(): string {
  const parts = [
    table(
      'Global keys',
      'Top level of the configuration (under `logging:` in YAML).',
      '',
      globalSchema,
    ),
  ];
  for (const [section, schema] of Object.entries(sectionSchemas)) {
    parts.push(table(`\`${section}\``, `The \`${section}:\` section.`, `${section}.`, schema));
  }
  return parts.join('\n');
}

function table(title: string, intro: string, prefix: string, schema: z.ZodMiniObject): string {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
  const rows = Object.entries(json.properties ?? {}).map(([key, property]) => {
    const env = property.env
      ? `\`${property.env}\``
      : property.otelEnv
        ? `\`${property.otelEnv}\` (read by OTel)`
        : '';
    const secret = property.secret ? ' Secret: masked in every dump and message.' : '';
    return `| \`${prefix}${key}\` | ${typeOf(property)} | ${defaultOf(property)} | ${env} | ${escapeCell(property.description ?? '')}${secret} |`;
  });
  return [
    `## ${title}`,
    '',
    intro,
    '',
    '| Key | Type | Default | Environment | Description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf)
    return schema.anyOf
      .map((option) =>
        Object.keys(option).length === 0 ? 'a writable stream (code only)' : typeOf(option),
      )
      .join(' or ');
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(', ');
  switch (schema.type) {
    case 'array':
      return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
    case 'object':
      return schema.additionalProperties
        ? `map of name to ${typeOf(schema.additionalProperties)}`
        : 'mapping';
    case 'integer':
    case 'number': {
      const bounds = [
        schema.minimum !== undefined ? `>= ${schema.minimum}` : '',
        schema.exclusiveMinimum !== undefined ? `> ${schema.exclusiveMinimum}` : '',
        schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER
          ? `<= ${schema.maximum}`
          : '',
      ].filter(Boolean);
      return `${schema.type}${bounds.length ? ` (${bounds.join(', ')})` : ''}`;
    }
    case 'string':
      return schema.format === 'uri'
        ? 'URL'
        : schema.pattern
          ? `string matching \`${schema.pattern}\``
          : 'string';
    default:
      return schema.type ?? 'any';
  }
}

function defaultOf(schema: JsonSchema): string {
  return schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
