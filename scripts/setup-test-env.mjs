// Installs what the test suite checks our output with, once; later runs reuse it. Each step is
// idempotent and says what it does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCollector } from './build-collector.mjs';
import { installNode, NODE_MAJORS } from './node-binaries.mjs';
import { cacheDir, repoRoot, venvBin, venvDir } from './test-env.mjs';

function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: 'inherit', ...options });
}

function pythonVenv() {
  const dir = venvDir();
  const stamp = join(dir, '.complete');
  if (existsSync(stamp)) return;
  console.error(`setup: Python venv with TensorBoard and wandb in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  run('python3', ['-m', 'venv', dir]);
  run(venvBin('pip'), ['install', '--quiet', '-r', join(repoRoot, 'test/python/requirements.txt')]);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

/** Debian packages the tests run for real: Prometheus (collector pipeline), Chromium (screenshots). */
function debianPackages() {
  const wanted = [
    { pkg: 'prometheus', binary: '/usr/bin/prometheus' },
    { pkg: 'chromium', binary: '/usr/bin/chromium' },
  ].filter(({ binary }) => !existsSync(binary));
  if (wanted.length === 0) return;
  const names = wanted.map(({ pkg }) => pkg);
  console.error(`setup: apt-get install ${names.join(' ')}`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (...args) =>
    run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', ...names);
}

mkdirSync(cacheDir(), { recursive: true });
pythonVenv();
debianPackages();
buildCollector();
for (const major of NODE_MAJORS) installNode(major);
