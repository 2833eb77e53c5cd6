// Where the test suite keeps what it installs (outside the repository, shared by clones, cached):
// a Python virtual environment with the real readers, the Collector binary, and so on.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function cacheDir() {
  return (
    process.env.JEPA_LOGGERS_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'jepa-loggers')
  );
}

/** The venv for the current test/python/requirements.txt (a new one when it changes). */
export function venvDir() {
  const requirements = readFileSync(join(repoRoot, 'test/python/requirements.txt'));
  const hash = createHash('sha256').update(requirements).digest('hex').slice(0, 12);
  return join(cacheDir(), `venv-${hash}`);
}

export function venvBin(name) {
  return join(venvDir(), 'bin', name);
}
