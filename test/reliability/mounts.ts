/**
 * Small tmpfs mounts for the fault tests: a full disk (a size limit) and a read-only directory
 * (root ignores file permissions, not a read-only mount). Mounting needs root; where it is not
 * permitted the tests that need it are skipped, and say why.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function mount(dir: string, options: string): { ok: boolean; error: string } {
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  return { ok: result.status === 0, error: `${result.stderr ?? ''}${result.error ?? ''}`.trim() };
}

/** Why tmpfs cannot be mounted here, or undefined when it can. */
export const cannotMount: string | undefined = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'jepa-mount-probe-'));
  try {
    const probe = mount(dir, 'size=64k');
    if (!probe.ok) return `mount -t tmpfs is not permitted here (${probe.error || 'not root'})`;
    spawnSync('umount', [dir]);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

export interface Mount {
  readonly dir: string;
  unmount(): void;
}

/** A new directory with a tmpfs of `sizeKiB` mounted on it, read-only when asked. */
export function tmpfs(prefix: string, sizeKiB: number, readOnly = false): Mount {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  mkdirSync(dir, { recursive: true });
  const mounted = mount(dir, `size=${sizeKiB}k${readOnly ? ',ro' : ''}`);
  if (!mounted.ok) throw new Error(`mounting tmpfs on ${dir} failed: ${mounted.error}`);
  return {
    dir,
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
