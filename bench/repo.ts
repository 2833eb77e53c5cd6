/**
 * The repository's paths at run time. The benchmark runs compiled, from `.bench-dist/bench/`, and
 * the test environment's helper (`scripts/test-env.mjs`, plain JavaScript) is not compiled with
 * it: it is loaded from the repository itself.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root: two levels above the compiled `bench/` directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

type TestEnv = typeof import('../scripts/test-env.mjs');

/** The Python of the test environment's venv (TensorBoard, tensorboardX, crc32c, wandb). */
export async function venvPython(): Promise<string> {
  const testEnv = (await import(
    pathToFileURL(join(repoRoot, 'scripts', 'test-env.mjs')).href
  )) as TestEnv;
  return testEnv.venvBin('python');
}
