import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { logsOf } from '../../src/bridge/otlp-model.js';
import { runNode } from '../support/child.js';
import { requireDist } from '../support/dist.js';
import { decodedRequests, startCapture } from '../support/otlp-capture.js';

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

  it('SIGTERM during a 20 s synchronous loop, handle_signals at its default: the process dies at once', async () => {
    let sentAt = 0;
    const result = await runNode([script, 'busy', String(ROWS)], {
      timeoutMs: 30_000,
      onStderr: (text, child) => {
        if (!text.includes('ready')) return;
        // Once the loop has started: nothing can run in this process until it ends.
        setTimeout(() => {
          sentAt = performance.now();
          child.kill('SIGTERM');
        }, 200);
      },
    });
    expect(result.signal).toBe('SIGTERM');
    expect(performance.now() - sentAt).toBeLessThan(2_000);
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

describe('a process that ends early still flushes its rows to OTLP', () => {
  it.each([
    ['sigterm', 143],
    ['throw', 1],
  ] as const)(
    '%s: every row and the end of the run reach the OTLP receiver',
    async (how, exitCode) => {
      const capture = await startCapture();
      try {
        const result = await runNode([script, how, String(ROWS)], {
          env: { OTEL_EXPORTER_OTLP_ENDPOINT: capture.url },
          onStderr: (text, child) => {
            if (how === 'sigterm' && text.includes('ready')) child.kill('SIGTERM');
          },
        });
        expect(rowSteps(result.stdout)).toEqual([...Array(ROWS).keys()]);
        const records = decodedRequests(capture.requests, 'logs')
          .flatMap(logsOf)
          .flatMap((group) => group.scopes.flatMap((scope) => scope.items));
        const rows = records.filter((record) => record.eventName === 'jepa.metrics');
        expect(rows.map((row) => row.attributes['jepa.step'])).toEqual([...Array(ROWS).keys()]);
        expect(
          records.find((record) => record.eventName === 'jepa.run.end')?.attributes,
        ).toMatchObject({
          'jepa.run.exit_code': exitCode,
        });
      } finally {
        await capture.close();
      }
    },
  );
});
