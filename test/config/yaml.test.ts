import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import {
  loadYamlFile,
  MAX_CONFIG_CHARACTERS,
  MAX_KEYS_PER_MAPPING,
  parseYaml,
} from '../../src/config/yaml.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';

function yamlFile(text: string): string {
  const file = join(tempDir('jepa-yaml'), 'logging.yaml');
  writeFileSync(file, text);
  return file;
}

/** `logging:` with `count` keys under it, one a line. */
function manyKeys(count: number): string {
  const lines = ['logging:', '  backends: [console]'];
  for (let i = 0; i < count; i++) lines.push(`  unknown_key_${i}: ${i}`);
  return `${lines.join('\n')}\n`;
}

function refusal(load: () => unknown): { error: ConfigError; ms: number } {
  const start = performance.now();
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return { error, ms: performance.now() - start };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('YAML configuration limits', () => {
  it.each([
    ['80,000 keys (2 MB)', manyKeys(80_000)],
    ['50 MB', `logging:\n  run_name: ${'x'.repeat(50_000_000)}\n`],
  ])('refuses %s before parsing it, at once, naming the file and the limit', (_label, text) => {
    const file = yamlFile(text);
    const { error, ms } = refusal(() => loadYamlFile(file));
    expect(error.message).toBe(
      `Invalid logging configuration: ${file}: the configuration has ${text.length} characters; at most ${MAX_CONFIG_CHARACTERS} are read`,
    );
    expect(ms).toBeLessThan(2000);
  });

  it('refuses a mapping of more keys than the limit, naming its line', () => {
    const { error } = refusal(() => parseYaml(manyKeys(MAX_KEYS_PER_MAPPING), 'big.yaml'));
    expect(error.message).toBe(
      `Invalid logging configuration: big.yaml:2: a mapping of ${MAX_KEYS_PER_MAPPING + 1} keys; at most ${MAX_KEYS_PER_MAPPING} are read`,
    );
  });

  it('loads a mapping of as many keys as the limit, with each key on its line', () => {
    const source = parseYaml(manyKeys(MAX_KEYS_PER_MAPPING - 1));
    expect(Object.keys((source.data as { logging: object }).logging)).toHaveLength(
      MAX_KEYS_PER_MAPPING,
    );
    expect(source.lineOf(['logging', 'unknown_key_9998'])).toBe(3 + 9998);
  });

  it('names both lines of a key given twice, in block and flow mappings', () => {
    const { error } = refusal(() =>
      parseYaml(
        'logging:\n  level: INFO\n  console: {colored: true, colored: false}\n  level: DEBUG\n',
        'twice.yaml',
      ),
    );
    expect(error.problems.map((p) => [p.line, p.message])).toEqual(
      expect.arrayContaining([
        [4, "malformed YAML: the key 'level' is given twice (first on line 2)"],
        [3, "malformed YAML: the key 'colored' is given twice (first on line 3)"],
      ]),
    );
    expect(error.problems).toHaveLength(2);
  });

  it('keeps the line of a syntax error in a file of normal size', () => {
    const { error } = refusal(() =>
      parseYaml('logging:\n  backends: [console\n  level: INFO\n', 'bad.yaml'),
    );
    expect(error.message).toMatch(/bad\.yaml:\d+: malformed YAML/);
  });
});
