/**
 * The API reference in docs/api is generated from the sources by TypeDoc (`npm run docs:api`,
 * configured in typedoc.json). This test generates it afresh and fails when the committed pages
 * differ, naming them; and it checks the reference against the built package itself: every name
 * the package's entry points export has its own section.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { repoRoot, requireDist } from '../support/dist.js';

const COMMITTED = join(repoRoot, 'docs/api');

/** Every file under `dir`, by path relative to it. */
function pages(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('the API reference (docs/api)', () => {
  let fresh: Map<string, string>;

  beforeAll(async () => {
    const out = tempDir('jepa-api-docs');
    await promisify(execFile)(
      process.execPath,
      [join(repoRoot, 'node_modules/typedoc/bin/typedoc'), '--out', out, '--logLevel', 'Error'],
      { cwd: repoRoot, timeout: 120_000 },
    );
    fresh = pages(out);
  });

  it('is what TypeDoc generates from the sources now (else run `npm run docs:api`)', () => {
    const committed = pages(COMMITTED);
    const stale = [...new Set([...committed.keys(), ...fresh.keys()])].filter(
      (page) => committed.get(page) !== fresh.get(page),
    );
    expect(stale, 'pages that differ; regenerate with `npm run docs:api`').toEqual([]);
  });

  it('has a section for every name the entry points export', async () => {
    requireDist();
    const entries = [
      ['jepa-loggers.md', join(repoRoot, 'dist/index.js')],
      ['jepa-loggers/trainer/tfjs.md', join(repoRoot, 'dist/trainer/tfjs.js')],
    ] as const;
    for (const [page, module] of entries) {
      // `### \`abstract\` BaseLogger`, `### STEP\_GAUGE`, `### createLogger()`.
      const headings = new Set(
        [...fresh.get(page)!.matchAll(/^#{2,4} (?:`\w+` )?([\w\\]+?)(?:\(\))?$/gm)].map((m) =>
          m[1]!.replaceAll('\\', ''),
        ),
      );
      const exported = Object.keys(await import(module));
      expect(exported.length).toBeGreaterThan(0);
      expect(exported.filter((name) => !headings.has(name))).toEqual([]);
    }
  });
});
