/**
 * W&B run directories on disk, found and marked the way `wandb sync` (wandb 0.31) finds and marks
 * them: a path is a `.wandb` file, a run directory holding one, or a `wandb/` directory of run
 * directories (we also take the directory holding `wandb/`, the logger's `dir`). A run written in
 * online mode lives in `run-...`, an offline one in `offline-run-...`; an uploaded one has an
 * empty `<file>.wandb.synced` beside its `.wandb` file.
 */
import { existsSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The `.wandb` files `paths` select, each once (however it was named), in path order. */
export function findRunFiles(paths: readonly string[]): string[] {
  const byInode = new Map<string, string>();
  for (const path of paths) {
    for (const file of expand(path)) {
      const { dev, ino } = statSync(file);
      byInode.set(`${dev}:${ino}`, file);
    }
  }
  return [...byInode.values()].sort();
}

/** The marker `wandb sync` leaves beside an uploaded run's `.wandb` file. */
export function syncedMarker(file: string): string {
  return `${file}.synced`;
}

export function isSynced(file: string): boolean {
  return existsSync(syncedMarker(file));
}

export function markSynced(file: string): void {
  writeFileSync(syncedMarker(file), '');
}

/** A run written in online mode: its directory is not named `offline-...`. */
export function isOnlineRun(file: string): boolean {
  return !basename(dirname(realpathSync(file))).startsWith('offline-');
}

function expand(path: string): string[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw new Error(`${path}: no such file or directory`);
  }
  if (!stats.isDirectory()) {
    if (path.endsWith('.wandb')) return [path];
    throw new Error(`${path}: not a .wandb file or a directory of runs`);
  }
  const here = wandbFiles(path);
  if (here.length > 0) return here;
  const runs = subdirectories(path).flatMap(wandbFiles);
  if (runs.length > 0) return runs;
  const root = join(path, 'wandb');
  return existsSync(root) ? subdirectories(root).flatMap(wandbFiles) : [];
}

function wandbFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wandb'))
    .map((entry) => join(dir, entry.name));
}

function subdirectories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name));
}
