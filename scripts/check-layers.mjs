/**
 * The layer rule of docs/architecture.md, checked over the import graph of src/: a module imports
 * its own folder and the layers below its own, never a layer above it or a sibling folder of its
 * layer. Type-only imports count: a type from a higher layer ties the two together all the same.
 *
 *   node scripts/check-layers.mjs [srcDir]   (exit 1 and one line per upward import)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Highest first. A folder of src/, `index.ts`, or `leaf` (every other file directly in src/). */
export const LAYERS = [
  { name: 'entry points', units: ['index.ts', 'cli'] },
  // The trainer's callbacks drive a logger; the bridge builds its runs' backends the way the
  // loggers do (through LoggerRegistry).
  { name: 'trainer and bridge', units: ['trainer', 'bridge'] },
  { name: 'loggers', units: ['loggers'] },
  // Configuration is parsed into typed sections that the loggers hand down: only the layers
  // above may read it, and it reads nothing but the leaf.
  { name: 'config', units: ['config'], imports: ['leaf'] },
  { name: 'telemetry', units: ['telemetry'] },
  { name: 'exporters', units: ['exporters'] },
  // Formats and clients: the training-event contract, and the W&B client (src/wandb: run files,
  // the .wandb format, streaming, sync, artifacts) that the W&B exporter and wandb-sync use.
  { name: 'formats', units: ['events', 'wandb'] },
  { name: 'leaf', units: ['leaf'] },
];

/** Imports that break the rule knowingly, each with the reason it stays. */
export const EXCEPTIONS = [
  {
    from: 'exporters/otlp/otlp-backend.ts',
    to: ['config/sections/common.ts', 'config/sections/otlp.ts'],
    why: 'takes the otlp section as its options type and the section’s bounds on intervals; an options type of its own would copy the section field by field',
  },
];

/** The layer unit of `file` (a path relative to src/). */
function unitOf(file) {
  const slash = file.indexOf('/');
  if (slash >= 0) return file.slice(0, slash);
  return file === 'index.ts' ? 'index.ts' : 'leaf';
}

function layerOf(unit) {
  const index = LAYERS.findIndex((layer) => layer.units.includes(unit));
  return index < 0 ? undefined : { index, ...LAYERS[index] };
}

/** Why `from` may not import `to` (both relative to src/), or undefined when it may. */
export function ruleBroken(from, to) {
  const [a, b] = [unitOf(from), unitOf(to)];
  if (a === b) return undefined;
  const [source, target] = [layerOf(a), layerOf(b)];
  if (!source) return `${a} is in no layer (add it to LAYERS in scripts/check-layers.mjs)`;
  if (!target) return `${b} is in no layer (add it to LAYERS in scripts/check-layers.mjs)`;
  if (EXCEPTIONS.some((e) => e.from === from && e.to.includes(to))) return undefined;
  if (source.imports && !source.imports.includes(target.name)) {
    return `${source.name} may import only ${source.imports.join(', ')}`;
  }
  if (target.index < source.index) return `${target.name} is above ${source.name}`;
  if (target.index === source.index) return `${a} and ${b} are siblings in one layer`;
  return undefined;
}

function sourceFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix + entry.name;
    if (entry.isDirectory()) return sourceFiles(path.join(dir, entry.name), `${relative}/`);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative] : [];
  });
}

/** Every relative import in the .ts files under `srcDir` that breaks the rule, as lines. */
export function layerViolations(srcDir) {
  const problems = [];
  for (const file of sourceFiles(srcDir)) {
    const text = readFileSync(path.join(srcDir, file), 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = path.posix.join(path.posix.dirname(file), fileName);
      const source = target.replace(/\.js$/, '.ts');
      const to = existsSync(path.join(srcDir, source)) ? source : target;
      if (to.startsWith('..')) continue;
      const why = ruleBroken(file, to);
      if (why) problems.push(`src/${file} imports src/${to}: ${why}`);
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const srcDir = process.argv[2] ?? fileURLToPath(new URL('../src', import.meta.url));
  const problems = layerViolations(srcDir);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`${problems.length} import(s) against the layers (docs/architecture.md)`);
    process.exit(1);
  }
}
