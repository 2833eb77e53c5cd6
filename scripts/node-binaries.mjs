// Node.js binaries of other major versions, for the tests that run the package on every Node
// line `engines` names. They come from the npm `node` package, installed once per major into the
// test cache (an npm project of its own each), and are reused afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './test-env.mjs';

/** The majors the tests run beside the one running npm. */
export const NODE_MAJORS = [22, 24];

export function nodeBinary(major) {
  return join(cacheDir(), `node-${major}`, 'node_modules', '.bin', 'node');
}

export function installNode(major) {
  const dir = join(cacheDir(), `node-${major}`);
  const stamp = join(dir, '.complete');
  if (existsSync(stamp)) return;
  console.error(`setup: Node.js ${major} from the npm package node@${major} in ${dir}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-save', '--foreground-scripts', `node@${major}`],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const version = execFileSync(nodeBinary(major), ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`node@${major} installed ${version}`);
  writeFileSync(stamp, `${version}\n`);
}
