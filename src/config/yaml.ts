/**
 * YAML configuration files: parsed with line positions kept, so every problem can name its line.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from './errors.js';

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
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
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
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    let node: unknown = document.contents;
    let offset: number | undefined = (node as { range?: [number] } | null)?.range?.[0];
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(key),
        );
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
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
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
