// Builds our OpenTelemetry Collector from collector/builder-config.yaml with the Collector Builder
// (Go >= 1.25), into the test cache (outside git), keyed by a hash of the manifest: later calls
// reuse the binary until the manifest changes. Run directly (`node scripts/build-collector.mjs`)
// it builds and prints the binary's path.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { cacheDir, repoRoot } from './test-env.mjs';

export const manifestPath = join(repoRoot, 'collector/builder-config.yaml');
const MIN_GO = [1, 25];

/** Where the binary for the current manifest lives (it may not be built yet). */
export function collectorBinary() {
  const hash = createHash('sha256').update(readFileSync(manifestPath)).digest('hex').slice(0, 12);
  return join(cacheDir(), `otelcol-${hash}`, 'otelcol-jepa');
}

/** The one release every module of the manifest is pinned to; throws naming a stray module. */
export function manifestRelease(manifest) {
  const releases = new Map();
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'connectors']) {
    for (const { gomod } of manifest[kind] ?? []) {
      const [module, version] = String(gomod).trim().split(/\s+/);
      if (!version) throw new Error(`${manifestPath}: module '${module}' has no version`);
      releases.set(module, version);
    }
  }
  const versions = new Set(releases.values());
  if (versions.size !== 1) {
    const listed = [...releases].map(([module, version]) => `  ${module} ${version}`).join('\n');
    throw new Error(`${manifestPath}: pin every module to one release; found:\n${listed}`);
  }
  return [...versions][0];
}

/** Builds the Collector unless the cache has it; returns the binary's path. */
export function buildCollector({ log = (line) => console.error(line) } = {}) {
  const binary = collectorBinary();
  if (existsSync(binary)) return binary;
  const go = findGo();
  const manifest = parse(readFileSync(manifestPath, 'utf8'));
  const release = manifestRelease(manifest);
  const dir = join(binary, '..');
  // Per process, so that two builds at once (two test workers) do not share a work tree.
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const env = {
    ...process.env,
    // The builder runs `go` itself: the one found here, even when it is not on the PATH.
    PATH: go.includes('/') ? `${dirname(go)}${delimiter}${process.env.PATH}` : process.env.PATH,
    GOBIN: join(work, 'bin'),
    // Keep Go's own caches with ours so that CI machines reuse downloaded modules too.
    GOMODCACHE: process.env.GOMODCACHE ?? join(cacheDir(), 'go', 'mod'),
    GOCACHE: process.env.GOCACHE ?? join(cacheDir(), 'go', 'build'),
    // -modcacherw: a module cache that `rm -rf` can clear.
    GOFLAGS: '-buildvcs=false -modcacherw',
    CGO_ENABLED: '0',
  };
  log(`build-collector: Collector Builder ${release} (${go}); this takes a few minutes once`);
  execFileSync(go, ['install', `go.opentelemetry.io/collector/cmd/builder@${release}`], {
    env,
    stdio: 'inherit',
  });
  const config = join(work, 'builder-config.yaml');
  writeFileSync(
    config,
    stringify({ ...manifest, dist: { ...manifest.dist, output_path: join(work, 'out') } }),
  );
  log(`build-collector: compiling into ${dir}`);
  execFileSync(join(work, 'bin', 'builder'), ['--config', config], { env, stdio: 'inherit' });
  mkdirSync(dir, { recursive: true });
  renameSync(join(work, 'out', manifest.dist.name), binary);
  rmSync(work, { recursive: true, force: true });
  return binary;
}

function findGo() {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    let version;
    try {
      version = execFileSync(candidate, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
    } catch {
      continue;
    }
    const [major, minor] = version.replace(/^go/, '').split('.').map(Number);
    if (major > MIN_GO[0] || (major === MIN_GO[0] && minor >= MIN_GO[1])) return candidate;
    throw new Error(
      `build-collector: the Collector Builder needs Go >= 1.25; ${candidate} is ${version}`,
    );
  }
  throw new Error('build-collector: Go >= 1.25 is needed to build the Collector; none was found');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${buildCollector()}\n`);
}
