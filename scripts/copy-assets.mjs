// Copies the non-TypeScript files the compiled code reads at run time (.proto definitions) from
// src/ into dist/, keeping their paths.
import { cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const ASSET = /\.(proto)$/;

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (ASSET.test(entry.name)) yield path;
  }
}

for (const file of walk('src')) cpSync(file, join('dist', relative('src', file)));
