/**
 * What W&B shows of the client and the machine a run came from: the config's `_wandb` key and
 * `wandb-metadata.json`, under the names W&B's own client uses where there is one.
 */
import { readFileSync, statfsSync, statSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

/** This client's name, as `_wandb.client` and the `.wandb` header's producer. */
export const CLIENT_NAME = 'jepa-loggers';

/** package.json files larger than this are not read (a generated one, a mistake). */
const MAX_PACKAGE_BYTES = 1 << 20;
/** Directories looked at on the way up to the nearest package.json. */
const MAX_PACKAGE_DEPTH = 32;
/** Dependencies listed in the metadata; the rest are counted. */
const MAX_DEPENDENCIES = 500;

let version: string | undefined;

/** This package's version, or `unknown` where its package.json is not beside the code. */
export function clientVersion(): string {
  version ??= readVersion();
  return version;
}

function readVersion(): string {
  try {
    const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return String((JSON.parse(manifest) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/**
 * The config's `_wandb` value. W&B's client writes `cli_version` (its own version) and
 * `python_version` there, and the W&B app shows them on the run's Overview; ours names the client
 * (`client`), its version as `cli_version`, and Node.js in place of Python (`node_version`).
 */
export function wandbInternalConfig(): Record<string, string> {
  return {
    client: CLIENT_NAME,
    cli_version: clientVersion(),
    node_version: process.versions.node,
  };
}

/** The app's own package.json, as `wandb-metadata.json` carries it (Python's requirements). */
export interface AppPackage {
  readonly name?: string;
  readonly version?: string;
  /** As package.json lists them (version ranges), at most 500. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Dependencies left out past the first 500. */
  readonly dependenciesOmitted?: number;
}

/**
 * The nearest package.json above `from`: by default the main module's directory, or the working
 * directory when the main module is a tool's (under node_modules: `npx tsx train.ts`, a test
 * runner). Its name, version and dependencies; undefined when there is none, or it is not a
 * readable JSON object (the metadata then has no `package`).
 */
export function appPackage(from: string = appDirectory()): AppPackage | undefined {
  let dir = from;
  for (let depth = 0; depth < MAX_PACKAGE_DEPTH; depth++) {
    const found = readPackage(join(dir, 'package.json'));
    if (found !== 'absent') return found;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

function appDirectory(): string {
  const main = process.argv[1];
  return main && !/[\\/]node_modules[\\/]/.test(main) ? dirname(main) : process.cwd();
}

function readPackage(path: string): AppPackage | undefined | 'absent' {
  let manifest: unknown;
  try {
    if (statSync(path).size > MAX_PACKAGE_BYTES) return undefined;
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : undefined;
  }
  if (typeof manifest !== 'object' || manifest === null) return undefined;
  const { name, version, dependencies } = manifest as Record<string, unknown>;
  const listed = Object.entries(
    typeof dependencies === 'object' && dependencies !== null ? dependencies : {},
  ).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return {
    ...(typeof name === 'string' ? { name } : {}),
    ...(typeof version === 'string' ? { version } : {}),
    dependencies: Object.fromEntries(listed.slice(0, MAX_DEPENDENCIES)),
    ...(listed.length > MAX_DEPENDENCIES
      ? { dependenciesOmitted: listed.length - MAX_DEPENDENCIES }
      : {}),
  };
}

export interface MetadataRun {
  readonly host: string;
  /** Unix ms. */
  readonly startTimeMs: number;
}

/**
 * `wandb-metadata.json`: the host, program and runtime, the machine facts W&B's Overview shows
 * under its client's names (`cpu_count`, cores the process may use; `cpu_count_logical`;
 * `memory.total` and `disk["/"]` in bytes) and the app's package.json (`package`).
 */
export function runMetadata(run: MetadataRun): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    host: run.host,
    startedAt: new Date(run.startTimeMs).toISOString(),
    program: process.argv[1] ?? '',
    os: `${platform()}-${release()}`,
    executable: process.execPath,
    node: process.version,
    client: `${CLIENT_NAME} ${clientVersion()}`,
    cpu_count: availableParallelism(),
    cpu_count_logical: cpus().length,
    memory: { total: totalmem() },
  };
  try {
    const disk = statfsSync('/');
    const total = disk.blocks * disk.bsize;
    metadata.disk = { '/': { total, used: total - disk.bfree * disk.bsize } };
  } catch {
    // No statfs here (or no `/`): the Overview shows no disk.
  }
  const app = appPackage();
  if (app) metadata.package = app;
  return metadata;
}
