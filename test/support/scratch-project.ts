/**
 * Scratch projects that install the packed package the way a user does (`npm pack`, then
 * `npm install` of the tarball beside whatever else the project wants), under a chosen Node.js
 * binary: npm picks the versions that fit the Node it runs on, as it would on the user's machine.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { repoRoot, requireDist } from './dist.js';

const execFileAsync = promisify(execFile);

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` in `cwd`; resolves with its exit code and output, whatever the code. */
export async function run(
  file: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? failed.message,
    };
  }
}

let packed: Promise<string> | undefined;

/** The package's tarball, packed once per test file from the built dist/. */
export function packedTarball(): Promise<string> {
  packed ??= (async () => {
    requireDist();
    const destination = tempDir('jepa-tarball');
    // npm test has built dist/; the pack scripts (a clean rebuild) must not race other tests.
    const pack = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', destination],
      repoRoot,
    );
    if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const [info] = JSON.parse(pack.stdout) as { filename: string }[];
    return join(destination, info!.filename);
  })();
  return packed;
}

/** PATH with `node`'s directory first, so that npm and its scripts run on that Node. */
export function pathWith(node: string): string {
  return `${dirname(node)}:${process.env.PATH ?? ''}`;
}

/**
 * A new project in a temporary directory with `packages` installed (npm specs; the tarball's
 * path among them for the package itself), by npm running on `node`. Throws with npm's output
 * when the install fails: that is what a user would see.
 */
export async function scratchProject(
  name: string,
  packages: readonly string[],
  node: string = process.execPath,
): Promise<string> {
  const project = join(tempDir(`jepa-${name}`), 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  );
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packages],
    project,
    { PATH: pathWith(node) },
  );
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  return project;
}
