/** Runs the Python peers' benchmark scripts (bench/python/) and reads their JSON answer. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo.js';

const run = promisify(execFile);

/** Runs `bench/python/<script>` with `args`; its last stdout line is JSON. */
export async function runPythonBench<T>(
  python: string,
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const { stdout } = await run(python, [join(repoRoot, 'bench', 'python', script), ...args], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${script} printed no JSON result: ${stdout.slice(-500)}`);
  }
}

/** Writes rows as JSON for a Python script to log the very same values. */
export function writeRowsFile(
  path: string,
  rows: readonly Readonly<Record<string, number>>[],
): string {
  writeFileSync(path, JSON.stringify(rows));
  return path;
}
