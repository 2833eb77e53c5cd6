/**
 * The compiled package (dist/) that child processes run, since they cannot run TypeScript:
 * `npm test` builds it first; here it is rebuilt only when a source file is newer than its output.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../../scripts/test-env.mjs';

export const distIndex = join(repoRoot, 'dist', 'index.js');
export const distCli = join(repoRoot, 'dist', 'cli', 'main.js');

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|proto)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

function staleOutputs(): string[] {
  const src = join(repoRoot, 'src');
  return [...sources(src)].filter((source) => {
    // Each source's declaration (the JavaScript is bundled: scripts/build.mjs).
    const output = join(repoRoot, 'dist', relative(src, source).replace(/\.ts$/, '.d.ts'));
    try {
      return statSync(output).mtimeMs < statSync(source).mtimeMs;
    } catch {
      return true;
    }
  });
}

/** Builds dist/ when it is older than src/; throws with the compiler's output when it cannot. */
export function ensureBuilt(): void {
  if (staleOutputs().length === 0) return;
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const stale = staleOutputs();
  if (stale.length > 0) {
    throw new Error(
      `dist/ is older than ${stale.join(', ')} and the build did not update it:\n${build.stdout}${build.stderr}`,
    );
  }
}
