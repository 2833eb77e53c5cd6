/**
 * Issue 18, must-show 4: GPU metrics from `nvidia-smi`. These machines have no GPU, so a script
 * named `nvidia-smi`, put first on the PATH by the test, stands in for it: it prints recorded
 * output in the documented `--format=csv,noheader,nounits` form (one line per GPU, fields in the
 * order asked for, `[N/A]` for a field the GPU does not report), or hangs, as a wedged driver
 * makes the real one hang.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { NVIDIA_SMI_QUERY, NvidiaSmi, parseNvidiaSmi } from '../../src/telemetry/gpu.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';

/**
 * Recorded from two GPUs (an A100 and a T4 whose driver reports no power draw or limit), fields
 * in NVIDIA_SMI_QUERY's order: index, utilization.gpu [%], utilization.memory [%], memory.used
 * [MiB], memory.total [MiB], temperature.gpu [C], power.draw [W], power.limit [W].
 */
const RECORDED =
  '0, 87, 45, 30512, 40960, 71, 245.31, 400.00\n1, 0, 0, 3, 15360, 34, [N/A], [N/A]\n';
const MIB = 1024 * 1024;

const originalPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = originalPath;
});

/** Puts an executable `nvidia-smi` running `body` first on the PATH; returns its directory. */
function fakeNvidiaSmi(body: string): string {
  const dir = tempDir('fake-nvidia-smi');
  const path = join(dir, 'nvidia-smi');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  process.env.PATH = `${dir}:${originalPath}`;
  return dir;
}

describe('parseNvidiaSmi', () => {
  it('reads every GPU of the documented CSV form, leaving out [N/A] fields', () => {
    expect(parseNvidiaSmi(RECORDED)).toEqual([
      {
        index: 0,
        utilization: 87,
        memoryUtilization: 45,
        memoryUsedBytes: 30512 * MIB,
        memoryTotalBytes: 40960 * MIB,
        temperature: 71,
        powerWatts: 245.31,
        powerLimitWatts: 400,
      },
      {
        index: 1,
        utilization: 0,
        memoryUtilization: 0,
        memoryUsedBytes: 3 * MIB,
        memoryTotalBytes: 15360 * MIB,
        temperature: 34,
      },
    ]);
  });

  it('skips lines without a GPU index (an error message, blank lines)', () => {
    expect(
      parseNvidiaSmi('No devices were found\r\n\n2, [Not Supported], 5, 1, 2, 40, 70.5, 75\n'),
    ).toEqual([
      {
        index: 2,
        memoryUtilization: 5,
        memoryUsedBytes: MIB,
        memoryTotalBytes: 2 * MIB,
        temperature: 40,
        powerWatts: 70.5,
        powerLimitWatts: 75,
      },
    ]);
  });
});

describe('NvidiaSmi', () => {
  it('asks the PATH’s nvidia-smi for the query fields in CSV without units', async () => {
    const dir = fakeNvidiaSmi(`echo "$@" > "$(dirname "$0")/args"\nprintf '${RECORDED}'`);
    const diagnostics = new CollectingDiagnostics();
    const readings = await new NvidiaSmi(diagnostics, 5000).poll();
    expect(readings).toEqual(parseNvidiaSmi(RECORDED));
    expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe(
      `--query-gpu=${NVIDIA_SMI_QUERY} --format=csv,noheader,nounits`,
    );
    expect(diagnostics.messages).toEqual([]);
  });

  it('without nvidia-smi on the PATH: no readings and one INFO line', async () => {
    process.env.PATH = tempDir('no-nvidia-smi');
    const diagnostics = new CollectingDiagnostics();
    const gpu = new NvidiaSmi(diagnostics, 5000);
    expect(await gpu.poll()).toEqual([]);
    expect(await gpu.poll()).toEqual([]);
    expect(diagnostics.messages).toEqual([
      { level: 'INFO', message: 'System metrics: no nvidia-smi on the PATH, so no GPU metrics' },
    ]);
  });

  it('kills a poll that hangs past the interval, reports it once, and reads again after', async () => {
    const dir = fakeNvidiaSmi(
      `if [ -f "$(dirname "$0")/healed" ]; then printf '${RECORDED}'; else exec sleep 30; fi`,
    );
    const diagnostics = new CollectingDiagnostics();
    const gpu = new NvidiaSmi(diagnostics, 300);
    const started = Date.now();
    expect(await gpu.poll()).toEqual([]);
    expect(await gpu.poll()).toEqual([]);
    // Each poll ended at its timeout, not when the script would have.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(diagnostics.messages).toHaveLength(1);
    expect(diagnostics.messages[0]).toMatchObject({ level: 'WARNING' });
    expect(diagnostics.messages[0]!.message).toContain('did not answer within 0.3 s');
    writeFileSync(join(dir, 'healed'), '');
    expect(await gpu.poll()).toHaveLength(2);
  });
});
