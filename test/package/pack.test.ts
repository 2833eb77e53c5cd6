/**
 * Must-show 1: the published package works the first time. `npm pack` makes the tarball; a
 * scratch project in a temporary directory installs it (from npm's cache where it can) with its
 * own TypeScript, and there the README quickstart and every example are type-checked under
 * `moduleResolution` node16 and bundler, compiled and run. TensorBoard's own reader reads the
 * quickstart's curve; the demo runs from `examples/demo.yaml` through the installed command;
 * CommonJS `require()` works; every `exports` subpath resolves for Node and for the compiler and
 * is the one the README lists.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { repoRoot, requireDist } from '../support/dist.js';

const execFileAsync = promisify(execFile);
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

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` in `cwd`; resolves with its exit code and output, whatever the code. */
async function run(file: string, args: readonly string[], cwd: string): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
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
      types: ['node'],
      ...options,
    },
    include,
  });
}

describe('the package, installed from its tarball', () => {
  let scratch: string;
  let packed: { path: string }[];
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
    const install = await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(tarballs, info!.filename),
        `typescript@${manifest.devDependencies.typescript}`,
        `@types/node@${manifest.devDependencies['@types/node']}`,
      ],
      project,
    );
    expect(install.code, install.stderr).toBe(0);

    writeFileSync(join(project, 'readme-quickstart.ts'), readmeQuickstart());
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
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const config of ['node16', 'bundler', 'declarations', 'cjs']) {
      compiled[config] = await run(
        process.execPath,
        [tsc, '-p', `tsconfig.${config}.json`],
        project,
      );
    }
  });

  const project = () => join(scratch, 'project');
  const node = (...args: string[]) => run(process.execPath, args, project());

  it('packs the compiled code, its declarations and assets, README, LICENSE and CHANGELOG only', () => {
    const paths = packed.map((file) => file.path);
    for (const path of paths) {
      expect(path).toMatch(
        /^(dist\/.+\.(js|d\.ts|proto)|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/,
      );
    }
    expect(paths).toEqual(
      expect.arrayContaining(['README.md', 'LICENSE', 'CHANGELOG.md', 'dist/cli/main.js']),
    );
    for (const target of Object.values(manifest.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) {
        expect(paths).toContain(file.replace(/^\.\//, ''));
      }
    }
    expect(manifest.engines.node).toBe('>=20.6');
  });

  it('type-checks the README quickstart and every example under node16 and bundler resolution', () => {
    for (const config of ['node16', 'bundler', 'declarations']) {
      expect(compiled[config], `tsconfig.${config}.json`).toMatchObject({ code: 0, stdout: '' });
    }
    expect(readmeQuickstart().trimEnd().split('\n').length).toBeLessThan(20);
    expect(readFileSync(join(repoRoot, 'examples/quickstart.ts'), 'utf8')).toBe(readmeQuickstart());
  });

  it('runs the README quickstart: TensorBoard reads its curve', async () => {
    const result = await node('out/readme-quickstart.js');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('step 90 | train/loss 0.0498');
    const tensorboard = await accumulate(join(project(), 'logs/tensorboard/quickstart'));
    const loss = tensorboard.scalars['train/loss']!;
    // The README's curve, exp(-step / 30), as TensorBoard keeps scalars (float32).
    expect(loss.map(([step]) => step)).toEqual([...Array(100).keys()]);
    expect(loss.map(([, value]) => value)).toEqual(
      loss.map(([step]) => Math.fround(Math.exp(-step / 30))),
    );
    expect(tensorboard.scalars['train/accuracy']).toHaveLength(100);
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

  it('runs examples/demo.yaml with the installed command, and wandb-sync sees its run', async () => {
    const npx = (...args: string[]) =>
      run('npx', ['--no-install', 'jepa-loggers', ...args], project());
    const demo = await npx('demo', '--config', 'examples/demo.yaml');
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stderr).toMatch(/demo: run [a-z0-9]{8} finished: \d+ steps/);
    expect(existsSync(join(project(), 'logs/tensorboard/demo'))).toBe(true);
    const sync = await npx('wandb-sync', '--dry-run', 'wandb');
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/^Would sync 2 run\(s\):$/m);
    expect(sync.stdout).toMatch(/-> \(default entity\)\/jepa-demo\/[a-z0-9]{8}: \d+ rows/);
  });

  it('works from CommonJS: require() at run time, and TypeScript with module nodenext', async () => {
    const required = await node('require.cjs');
    expect(required.code, required.stderr).toBe(0);
    expect(required.stdout).toBe('console,otlp,tensorboard,wandb\n');
    expect(compiled.cjs).toMatchObject({ code: 0, stdout: '' });
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
