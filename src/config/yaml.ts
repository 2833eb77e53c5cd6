/**
 * YAML configuration files: parsed with line positions kept, so every problem can name its line.
 */
import { readFileSync } from 'node:fs';
import type { Pair, YAMLMap } from 'yaml';
import { lazyModule } from '../lazy-module.js';
import { ConfigError, type ConfigProblem } from './errors.js';

const yaml = lazyModule<typeof import('yaml')>('yaml');

/** `value` as a YAML document. */
export function stringifyYaml(value: unknown): string {
  return yaml().stringify(value);
}

/**
 * Bounds on what is parsed: a logging configuration is a few KB with a few dozen keys per mapping,
 * while the parser's time grows with the text (80,000 keys, 4.7 MB: seconds) and every key costs
 * a schema check and maybe a warning.
 */
export const MAX_CONFIG_CHARACTERS = 1024 * 1024;
export const MAX_KEYS_PER_MAPPING = 10_000;

export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  /** The 1-based line of the key at `path` (the nearest existing ancestor when it is absent). */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export function loadYamlFile(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'file not found'
        : (error as Error).message;
    throw new ConfigError([
      { path: '', file, message: `cannot read the configuration: ${reason}` },
    ]);
  }
  return parseYaml(text, file);
}

export function parseYaml(text: string, file = '<yaml>'): YamlSource {
  if (text.length > MAX_CONFIG_CHARACTERS) {
    throw new ConfigError([
      {
        path: '',
        file,
        message: `the configuration has ${text.length} characters; at most ${MAX_CONFIG_CHARACTERS} are read`,
      },
    ]);
  }
  const { isMap, isSeq, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  // The parser's own duplicate-key check compares each key with every earlier one (quadratic:
  // 20,000 keys took 30 s); `indexMappings` finds duplicates with one lookup per key instead.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  if (document.errors.length > 0) {
    const lines = text.split('\n');
    // An error found at the end of the file (an unclosed quote) points to the last written line.
    const contentLine = (line: number) => {
      let at = line;
      while (at > 1 && (lines[at - 1] ?? '').trim() === '') at--;
      return at;
    };
    throw new ConfigError(
      document.errors.map((error) => ({
        path: '',
        file,
        line: contentLine(lineCounter.linePos(error.pos[0]).line),
        // The parser quotes the offending token: it may be a secret, and the line says where.
        message: `malformed YAML: ${error.message
          .split(' at line ')[0]
          ?.split('\n')[0]
          ?.replace(/: ".*"$/, '')}`,
      })),
    );
  }
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const { keys, problems } = indexMappings(document.contents, lineAt);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => ({ ...p, file })));
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    let node: unknown = document.contents;
    let offset: number | undefined = (node as { range?: [number] } | null)?.range?.[0];
    for (const key of path) {
      if (isMap(node)) {
        const pair = keys.get(node)?.get(String(key));
        if (!pair) break;
        offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        offset = (node as { range?: [number] }).range?.[0] ?? offset;
      } else {
        break;
      }
    }
    return offset === undefined ? undefined : lineAt(offset);
  };
  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    // Aliases expanding past the parser's limit (a resource exhaustion attack).
    throw new ConfigError([
      { path: '', file, message: `malformed YAML: ${(error as Error).message}` },
    ]);
  }
  return { file, data, lineOf };
}

/**
 * Each mapping's pairs by key, for line lookups in constant time; and the mappings that repeat a
 * key or hold more than MAX_KEYS_PER_MAPPING keys. Iterative: nesting depth costs no stack.
 */
function indexMappings(
  root: unknown,
  lineAt: (offset: number) => number,
): { keys: Map<YAMLMap, Map<string, Pair>>; problems: ConfigProblem[] } {
  const { isMap, isScalar, isSeq } = yaml();
  const keys = new Map<YAMLMap, Map<string, Pair>>();
  const problems: ConfigProblem[] = [];
  const lineOfNode = (node: unknown) => {
    const offset = (node as { range?: [number] } | null)?.range?.[0];
    return offset === undefined ? undefined : lineAt(offset);
  };
  const pending = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isSeq(node)) for (const item of node.items) pending.push(item);
    if (!isMap(node)) continue;
    if (node.items.length > MAX_KEYS_PER_MAPPING) {
      problems.push({
        path: '',
        line: lineOfNode(node),
        message: `a mapping of ${node.items.length} keys; at most ${MAX_KEYS_PER_MAPPING} are read`,
      });
      continue;
    }
    const pairs = new Map<string, Pair>();
    keys.set(node, pairs);
    for (const pair of node.items) {
      pending.push(pair.value);
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const first = pairs.get(key);
      if (first) {
        problems.push({
          path: '',
          line: lineOfNode(pair.key),
          message: `malformed YAML: the key '${key}' is given twice (first on line ${lineOfNode(first.key)})`,
        });
      } else pairs.set(key, pair);
    }
  }
  return { keys, problems };
}
