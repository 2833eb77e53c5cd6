// Copies the non-TypeScript files the compiled code reads at run time (.proto definitions) from
// src/ into dist/ (or the directory given as the first argument), keeping their paths.
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

const destination = process.argv[2] ?? 'dist';
for (const file of walk('src')) cpSync(file, join(destination, relative('src', file)));
