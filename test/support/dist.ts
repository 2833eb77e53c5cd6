import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '../..');

/** Child processes run the compiled package; `npm test` builds it before the tests run. */
export function requireDist(): void {
  if (!existsSync(join(repoRoot, 'dist/index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before these tests');
  }
}
