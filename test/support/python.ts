/**
 * Runs Python from the test venv (scripts/setup-test-env.mjs installs it: TensorBoard, wandb, the
 * OTel Python SDK), so tests check our files with the real readers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { venvBin } from '../../scripts/test-env.mjs';

const execFileAsync = promisify(execFile);

export const python = venvBin('python');

/** Runs `script` (Python source) with `args`; resolves with its stdout parsed as JSON. */
export async function runPythonJson<T = unknown>(
  script: string,
  args: readonly string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<T> {
  const { stdout } = await execFileAsync(python, ['-c', script, ...args], {
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout) as T;
}
