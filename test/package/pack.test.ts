/**
 * Must-show 1: the published package works the first time. `npm pack` makes the tarball; a
 * scratch project in a temporary directory installs it (from npm's cache where it can), its size
 * measured, then TypeScript 5.9 and 7 and nothing else (no @types/node: our declarations stand
 * alone). There the README quickstart and every example are type-checked under `moduleResolution`
 * node16 and bundler, compiled and run on Node 20, 22 and 24. TensorBoard's own reader reads the
 * quickstart's curve, also from a project installed with `--omit=optional` (the pure CRC-32C);
 * a misspelled key and a wrong-typed value are compile errors; the demo without TensorFlow.js
 * says what to install; CommonJS `require()` works; every `exports` subpath resolves for Node and
 * for the compiler and is the one the README lists.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the test setup, without declarations
import { nodeBinary } from '../../scripts/node-binaries.mjs';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { repoRoot, requireDist } from '../support/dist.js';
import { type Run, run } from '../support/scratch-project.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  engines: { node: string };
  exports: Record<string, string | { types: string; default: string }>;
  devDependencies: Record<string, string>;
};
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const EXAMPLES = readdirSync(join(repoRoot, 'examples')).filter((name) => name.endsWith('.ts'));
/** Subpaths other than the package.json itself. */
const SUBPATHS = Object.keys(manifest.exports).filter((key) => key !== './package.json');
const TFJS = './trainer/tfjs';
/** The current TypeScript 7 line, beside the 5.9 we build with, under an alias of its own. */
const TYPESCRIPT_7 = 'typescript7@npm:typescript@7.0.2';
/** The Node.js lines of `engines`: this one (20), and 22 and 24 from the test setup. */
const NODES: Record<string, string> = {
  '20': process.execPath,
  '22': (nodeBinary as (major: number) => string)(22),
  '24': (nodeBinary as (major: number) => string)(24),
};
/** The issue's budget for what `npm install jepa-loggers` brings. */
const MAX_INSTALL_BYTES = 60 * 1024 * 1024;
const MAX_INSTALL_PACKAGES = 40;

/**
 * Bytes of the files under `dir`, the package directories in it (as npm's "added N packages"
 * counts them) and the distinct package names among them.
 */
function installedSize(dir: string): { bytes: number; packages: number; names: number } {
  let bytes = 0;
  let packages = 0;
  const names = new Set<string>();
  const walk = (path: string, inNodeModules: boolean) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        const isPackage = inNodeModules && existsSync(join(child, 'package.json'));
        if (isPackage) {
          packages++;
          names.add(JSON.parse(readFileSync(join(child, 'package.json'), 'utf8')).name);
        }
        walk(child, entry.name === 'node_modules' || (inNodeModules && entry.name.startsWith('@')));
      } else if (!entry.isSymbolicLink()) {
        bytes += lstatSync(child).size;
      }
    }
  };
  walk(dir, true);
  return { bytes, packages, names: names.size };
}

/** The README's quickstart: the first TypeScript block under "## Quickstart". */
function readmeQuickstart(): string {
  const section = readme.split(/^## Quickstart$/m)[1]!.split(/^## /m)[0]!;
  return /```ts\n([\s\S]*?)```/.exec(section)![1]!;
}

/** A module that imports `subpaths` and prints how many exports each has. */
function importAll(subpaths: readonly string[]): string {
  const name = (i: number) => `m${i}`;
  return [
    ...subpaths.map(
      (subpath, i) => `import * as ${name(i)} from '${manifest.name}${subpath.slice(1)}';`,
    ),
    `const modules = { ${subpaths.map((s, i) => `'${s}': ${name(i)}`).join(', ')} };`,
    'const counts = Object.entries(modules).map(([key, m]) => [key, Object.keys(m).length]);',
    'console.log(JSON.stringify(Object.fromEntries(counts)));',
  ].join('\n');
}

function tsconfig(options: Record<string, unknown>, include: readonly string[]) {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      strict: true,
      skipLibCheck: true,
      // As TypeScript 7 has it by default: no @types package is included unless listed.
      types: [],
      ...options,
    },
    include,
  });
}

describe('the package, installed from its tarball', () => {
  let scratch: string;
  let packed: { path: string }[];
  let tarball: string;
  let installed: { bytes: number; packages: number; names: number };
  const compiled: Record<string, Run> = {};

  beforeAll(async () => {
    requireDist();
    scratch = tempDir('jepa-pack');
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    // npm test has built dist/; the pack scripts (a clean rebuild) must not race other tests.
    const pack = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs],
      repoRoot,
    );
    expect(pack.code, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    packed = info!.files;

    const project = join(scratch, 'project');
    mkdirSync(join(project, 'examples'), { recursive: true });
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
    );
    tarball = join(tarballs, info!.filename);
    const npmInstall = (...specs: string[]) =>
      run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], project);
    // The package alone first, as `npm install jepa-loggers` brings it: measured.
    const install = await npmInstall(tarball);
    expect(install.code, install.stderr).toBe(0);
    installed = installedSize(join(project, 'node_modules'));
    console.log(
      `npm install jepa-loggers: node_modules ${(installed.bytes / 2 ** 20).toFixed(1)} MiB ` +
        `in ${installed.packages} package directories, ${installed.names} distinct packages`,
    );
    const compilers = await npmInstall(
      `typescript@${manifest.devDependencies.typescript}`,
      TYPESCRIPT_7,
    );
    expect(compilers.code, compilers.stderr).toBe(0);

    writeFileSync(join(project, 'readme-quickstart.ts'), readmeQuickstart());
    // Two mistakes the configuration's type must catch, each in a statement of its own (the
    // compiler reports one excess key per object literal).
    writeFileSync(
      join(project, 'typed-config.ts'),
      [
        "import { createLogger } from 'jepa-loggers';",
        "createLogger({ backends: ['tensorboard'], tensorbord: { log_dir: 'logs' } });",
        "createLogger({ console: { log_frequency: 'often' } });",
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.typed.json'),
      tsconfig({ module: 'node16', moduleResolution: 'node16', noEmit: true }, ['typed-config.ts']),
    );
    for (const name of [...EXAMPLES, 'demo.yaml']) {
      cpSync(join(repoRoot, 'examples', name), join(project, 'examples', name));
    }
    // Every subpath, imported for the compiler and for Node; the TensorFlow.js adapter's apart
    // (tfjs's own declarations do not pass strict library checks).
    const [plain, tfjs] = [SUBPATHS.filter((s) => s !== TFJS), [TFJS]];
    writeFileSync(join(project, 'subpaths.ts'), importAll(plain));
    writeFileSync(join(project, 'subpath-tfjs.ts'), importAll(tfjs));
    const sources = ['readme-quickstart.ts', 'subpaths.ts', 'subpath-tfjs.ts', 'examples/*.ts'];
    // As `tsc --init` sets them: libraries' declarations are not checked on their own...
    writeFileSync(
      join(project, 'tsconfig.node16.json'),
      tsconfig({ module: 'node16', moduleResolution: 'node16', outDir: 'out' }, sources),
    );
    writeFileSync(
      join(project, 'tsconfig.bundler.json'),
      tsconfig({ module: 'esnext', moduleResolution: 'bundler', noEmit: true }, sources),
    );
    // ...and ours are, strictly, everywhere tfjs's are not reached.
    writeFileSync(
      join(project, 'tsconfig.declarations.json'),
      tsconfig(
        { module: 'node16', moduleResolution: 'node16', noEmit: true, skipLibCheck: false },
        sources.filter((source) => source !== 'subpath-tfjs.ts'),
      ),
    );
    writeFileSync(
      join(project, 'require.cjs'),
      [
        "const jepa = require('jepa-loggers');",
        "const { addPrefix } = require('jepa-loggers/utils');",
        "const logger = jepa.createLogger({ backends: ['console'] });",
        "logger.logMetrics(addPrefix({ loss: 1 }, 'train'), 0);",
        'logger.finish().then(() => console.log(jepa.LoggerRegistry.names().join(",")));',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'require.cts'),
      [
        "import jepa = require('jepa-loggers');",
        "const logger: jepa.BaseLogger = jepa.createLogger({ backends: ['console'] });",
        'void logger.finish();',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.cjs.json'),
      tsconfig({ module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out-cjs' }, [
        'require.cts',
      ]),
    );
    const tsc = (name: string) => join(project, 'node_modules', name, 'bin', 'tsc');
    for (const config of ['node16', 'bundler', 'declarations', 'cjs', 'typed']) {
      compiled[config] = await run(
        process.execPath,
        [tsc('typescript'), '-p', `tsconfig.${config}.json`],
        project,
      );
      // TypeScript 7 checks only (the 5.9 build's output is what runs).
      compiled[`${config}@7`] = await run(
        process.execPath,
        [tsc('typescript7'), '-p', `tsconfig.${config}.json`, '--noEmit'],
        project,
      );
    }
  }, 600_000);

  const project = () => join(scratch, 'project');
  const node = (...args: string[]) => run(process.execPath, args, project());

  it('installs in at most 60 MiB and 40 packages, nested copies counted', () => {
    expect(installed.bytes).toBeLessThanOrEqual(MAX_INSTALL_BYTES);
    // Every installed package directory counts, the same package nested twice included: the OTel
    // metric exporters 0.223.0 pin exact SDK versions older than the 0.223.1 patch release npm
    // picks for the rest, and npm nests a second copy of each under them (README, Install).
    expect(installed.packages).toBeLessThanOrEqual(MAX_INSTALL_PACKAGES);
  });

  it('packs the compiled code with its maps, declarations and assets, the sources the maps point to, the examples, README, LICENSE and CHANGELOG only', () => {
    const paths = packed.map((file) => file.path);
    for (const path of paths) {
      expect(path).toMatch(
        /^(dist\/.+\.(js|js\.map|d\.ts|d\.ts\.map|proto)|dist\/vendor\/[a-z]+\.cjs|dist\/third-party-licenses\.txt|src\/.+\.(ts|proto)|examples\/[a-z-]+\.(ts|yaml)|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/,
      );
    }
    expect(paths).toEqual(
      expect.arrayContaining([
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'dist/cli/main.js',
        'dist/index.js.map',
        'dist/index.d.ts.map',
        // The licenses of the dependencies bundled into dist/ (scripts/build.mjs).
        'dist/third-party-licenses.txt',
        // Bundled dependencies that only some backends load, each on its own (scripts/build.mjs).
        'dist/vendor/ajv.cjs',
        'dist/vendor/pngjs.cjs',
        'dist/vendor/yaml.cjs',
        'src/index.ts',
        // `demo --help` names it.
        'examples/demo.yaml',
      ]),
    );
    for (const target of Object.values(manifest.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) {
        expect(paths).toContain(file.replace(/^\.\//, ''));
      }
    }
    // `require()` of an ES module: Node 20.19 and 22.12.
    expect(manifest.engines.node).toBe('^20.19.0 || >=22.12.0');
  });

  it('type-checks the README quickstart and every example under node16 and bundler resolution, with TypeScript 5.9 and 7, without @types/node', () => {
    expect(existsSync(join(project(), 'node_modules/@types/node'))).toBe(false);
    for (const config of ['node16', 'bundler', 'declarations']) {
      for (const key of [config, `${config}@7`]) {
        expect(compiled[key], `tsconfig.${config}.json (${key})`).toMatchObject({
          code: 0,
          stdout: '',
        });
      }
    }
    expect(readmeQuickstart().trimEnd().split('\n').length).toBeLessThan(20);
    expect(readFileSync(join(repoRoot, 'examples/quickstart.ts'), 'utf8')).toBe(readmeQuickstart());
  });

  it('makes a misspelled key and a wrong-typed value compile errors, with TypeScript 5.9 and 7', () => {
    for (const key of ['typed', 'typed@7']) {
      const { code, stdout } = compiled[key]!;
      expect(code, key).not.toBe(0);
      expect(stdout, key).toContain(
        "Object literal may only specify known properties, and 'tensorbord' does not exist in type 'MultiLoggerConfig<never>'.",
      );
      expect(stdout, key).toContain(
        "The types of 'console.log_frequency' are incompatible between these types.",
      );
      expect(stdout, key).toContain("Type 'string' is not assignable to type 'number'.");
      expect(stdout.match(/error TS/g), key).toHaveLength(2);
    }
  });

  /** Runs the compiled README quickstart in `dir` on `nodePath`; TensorBoard must read its curve. */
  async function quickstartIn(dir: string, nodePath: string): Promise<void> {
    const result = await run(nodePath, ['out/readme-quickstart.js'], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('step 90 | train/loss 0.0498');
    const tensorboard = await accumulate(join(dir, 'logs/tensorboard/quickstart'));
    const loss = tensorboard.scalars['train/loss']!;
    // The README's curve, exp(-step / 30), as TensorBoard keeps scalars (float32).
    expect(loss.map(([step]) => step)).toEqual([...Array(100).keys()]);
    expect(loss.map(([, value]) => value)).toEqual(
      loss.map(([step]) => Math.fround(Math.exp(-step / 30))),
    );
    expect(tensorboard.scalars['train/accuracy']).toHaveLength(100);
  }

  it.each(Object.keys(NODES))(
    'runs the README quickstart on Node %s: TensorBoard reads its curve',
    async (major) => {
      const nodePath = NODES[major]!;
      expect((await run(nodePath, ['--version'], project())).stdout).toMatch(`v${major}.`);
      // A directory of its own for the run's logs; the project's installed packages.
      const dir = join(scratch, `node-${major}`);
      mkdirSync(dir);
      for (const name of ['package.json', 'out'])
        cpSync(join(project(), name), join(dir, name), { recursive: true });
      symlinkSync(join(project(), 'node_modules'), join(dir, 'node_modules'));
      await quickstartIn(dir, nodePath);
    },
  );

  it('runs the quickstart installed with --omit=optional (no native CRC-32C): TensorBoard reads it', async () => {
    const dir = join(scratch, 'omit-optional');
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    const install = await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', tarball],
      dir,
    );
    expect(install.code, install.stderr).toBe(0);
    expect(existsSync(join(dir, 'node_modules/@node-rs/crc32'))).toBe(false);
    cpSync(join(project(), 'out/readme-quickstart.js'), join(dir, 'out/readme-quickstart.js'));
    await quickstartIn(dir, process.execPath);
  });

  it.each(EXAMPLES.filter((name) => name !== 'quickstart.ts'))('runs examples/%s', async (name) => {
    const result = await node(`out/examples/${name.replace(/\.ts$/, '.js')}`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('INFO - run finished (exit code 0)');
    if (name === 'custom-logger.ts') {
      expect(result.stdout).toBe(
        'memory backend got [{"step":1,"metrics":{"train/loss":0.5,"val/loss":0.6}}]\n',
      );
    }
    if (name === 'decorators.ts') {
      expect(result.stderr).toMatch(
        /ERROR - step \d+ \| exception in trainingStep: Error: a NaN in the batch/,
      );
    }
    if (name === 'multi-backend.ts') {
      const run = await accumulate(join(project(), 'logs/tensorboard/multi-backend'));
      expect(Object.keys(run.histograms)).toEqual(['weights/layer1']);
      expect(Object.keys(run.images)).toEqual(['samples']);
      expect(run.hparams.start?.hparams).toEqual({ lr: 0.01, batch_size: 32 });
    }
  });

  it('says in one line what the demo needs without TensorFlow.js (an optional peer)', async () => {
    expect(existsSync(join(project(), 'node_modules/@tensorflow/tfjs'))).toBe(false);
    const demo = await run(
      'npx',
      [
        '--no-install',
        'jepa-loggers',
        'demo',
        '--config',
        'node_modules/jepa-loggers/examples/demo.yaml',
      ],
      project(),
    );
    expect(demo).toMatchObject({
      code: 1,
      stderr:
        'jepa-loggers: demo: needs TensorFlow.js; install it with: npm install @tensorflow/tfjs\n',
    });
  });

  it('works from CommonJS: require() at run time on Node 20, 22 and 24, and TypeScript with module nodenext', async () => {
    for (const nodePath of Object.values(NODES)) {
      const required = await run(nodePath, ['require.cjs'], project());
      expect(required.code, required.stderr).toBe(0);
      expect(required.stdout).toBe('console,otlp,tensorboard,wandb\n');
    }
    expect(compiled.cjs).toMatchObject({ code: 0, stdout: '' });
    expect(compiled['cjs@7']).toMatchObject({ code: 0, stdout: '' });
    expect((await node('out-cjs/require.cjs')).code).toBe(0);
  });

  it('resolves every exports subpath, and the README lists exactly these', async () => {
    const counts: Record<string, number> = {};
    for (const file of ['out/subpaths.js', 'out/subpath-tfjs.js']) {
      const loaded = await node(file);
      expect(loaded.code, loaded.stderr).toBe(0);
      Object.assign(counts, JSON.parse(loaded.stdout));
    }
    expect(Object.keys(counts).sort()).toEqual([...SUBPATHS].sort());
    for (const [subpath, count] of Object.entries(counts))
      expect(count, subpath).toBeGreaterThan(0);
    const listed = [...readme.matchAll(/^\| `(jepa-loggers(?:\/[a-z/-]+)?)` \|/gm)].map(
      (m) => m[1],
    );
    expect(listed.sort()).toEqual(SUBPATHS.map((s) => `jepa-loggers${s.slice(1)}`).sort());
  });
});
