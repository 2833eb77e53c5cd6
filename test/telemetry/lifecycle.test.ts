import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runNode } from '../support/child.js';
import { requireDist } from '../support/dist.js';

const script = join(import.meta.dirname, '../fixtures/children/log-then.mjs');
const ROWS = 50;

function rowSteps(stdout: string): number[] {
  return [...stdout.matchAll(/^INFO step (\d+) \| loss /gm)].map((m) => Number(m[1]));
}

beforeAll(requireDist);

describe('a process that ends early still flushes its rows', () => {
  it('SIGTERM: every row reaches the console, the run is marked interrupted, and the process dies of SIGTERM', async () => {
    const result = await runNode([script, 'sigterm', String(ROWS)], {
      onStderr: (text, child) => {
        if (text.includes('ready')) child.kill('SIGTERM');
      },
    });
    expect(rowSteps(result.stdout)).toEqual([...Array(ROWS).keys()]);
    expect(result.stdout).toMatch(/^ERROR run interrupted \(exit code 143\)$/m);
    expect(result.signal).toBe('SIGTERM');
  });

  it('an uncaught exception: rows flushed, run failed, the error printed and exit code 1', async () => {
    const result = await runNode([script, 'throw', String(ROWS)]);
    expect(rowSteps(result.stdout)).toEqual([...Array(ROWS).keys()]);
    expect(result.stdout).toMatch(/^ERROR run failed \(exit code 1\)$/m);
    expect(result.stderr).toMatch(/Uncaught exception: Error: boom in training/);
    expect(result.code).toBe(1);
  });

  it('an unhandled rejection: rows flushed, run failed, exit code 1', async () => {
    const result = await runNode([script, 'reject', String(ROWS)]);
    expect(rowSteps(result.stdout)).toEqual([...Array(ROWS).keys()]);
    expect(result.stdout).toMatch(/^ERROR run failed \(exit code 1\)$/m);
    expect(result.stderr).toMatch(/Unhandled promise rejection: Error: rejected in training/);
    expect(result.code).toBe(1);
  });

  it('process.exit() right after the last row: every row still reaches the console', async () => {
    const result = await runNode([script, 'exit', String(ROWS)], { timeoutMs: 10_000 });
    expect(rowSteps(result.stdout)).toEqual([...Array(ROWS).keys()]);
    expect(result.code).toBe(0);
  });

  it('a script that never calls finish(): rows flushed at exit, run finished, exit code 0, no hang', async () => {
    const result = await runNode([script, 'forget', String(ROWS)], { timeoutMs: 10_000 });
    expect(rowSteps(result.stdout)).toEqual([...Array(ROWS).keys()]);
    expect(result.stdout).toMatch(/^INFO run finished \(exit code 0\)$/m);
    expect(result.code).toBe(0);
  });
});
