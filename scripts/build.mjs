// Builds dist/: tsc writes the declarations and their maps, one per source file as before; esbuild
// writes the JavaScript, bundled per entry (every package.json `exports` and `bin` target, every
// `*.worker.ts`, and the modules the repository's scripts import) with the code entries share in
// chunks, and rollup then merges the chunks `index.js` loads into one. A process loads two files
// of ours instead of a hundred: most of the import time was Node loading modules one by one
// (BENCHMARKS.md section 6).
//
// The OTel packages and protobufjs stay external: the API must be the one copy the application
// uses, the SDK dedupes with the application's, and protobufjs is in our declarations. The small
// dependencies only our code uses are bundled, so `npm install jepa-loggers` brings fewer
// packages; their licenses go to dist/third-party-licenses.txt. zod is bundled too, as its
// hundred files cost a console logger more to load than the rest of us, yet it stays a dependency:
// our declarations name its types. No API of ours takes a zod schema of the caller's.
//
//   node scripts/build.mjs                       dist/, declarations included
//   node scripts/build.mjs --js-only <outdir>    the JavaScript only, elsewhere (the benchmarks)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { rollup } from 'rollup';

const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));

/** Bundled rather than installed: none of them but zod is named in our declarations. */
const BUNDLED = new Set([
  'ajv',
  'chalk',
  'fast-deep-equal',
  'fast-uri',
  'json-schema-traverse',
  'pngjs',
  'require-from-string',
  'yaml',
  'zod',
]);
/**
 * Bundled dependencies that only some backends use, loaded on first use (src/lazy-module.ts): each
 * is built into a file of its own, `dist/vendor/<name>.cjs`, that nothing imports, so that a
 * process parses its code only when it loads it.
 */
const LAZY_VENDORED = ['ajv', 'pngjs', 'yaml'];
/** Modules outside `exports` that the repository's own scripts import from dist/. */
const SCRIPT_ENTRIES = ['config/reference'];
/**
 * Parts of ours that only some backends use, each built as an entry of its own and loaded on
 * first use: the module named here (which imports the part from source, for the tests) is
 * replaced in the bundle by one that exports the same accessor, requiring the part's file.
 */
const ON_DEMAND = [{ module: 'wandb/on-demand.ts', accessor: 'wandbClient', entry: 'wandb/index' }];

const jsOnly = process.argv[2] === '--js-only';
const target = jsOnly ? process.argv[3] : 'dist';
if (!target) throw new Error('usage: node scripts/build.mjs [--js-only <outdir>]');
// Built beside the target, then swapped in: tests running meanwhile never find it half written.
const outdir = `${target}.building`;

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** `dist/loggers/x.js` -> `loggers/x`, the entry's name (its path in dist/ without `.js`). */
function entryName(target) {
  return target.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '');
}

function entryPoints() {
  const targets = [
    ...Object.values(manifest.exports).flatMap((value) =>
      typeof value === 'string' ? [] : [value.default],
    ),
    ...Object.values(manifest.bin),
  ].map(entryName);
  const workers = [...walk('src')]
    .filter((path) => path.endsWith('.worker.ts'))
    .map((path) => relative('src', path).split(sep).join('/').replace(/\.ts$/, ''));
  const names = [
    ...new Set([...targets, ...workers, ...SCRIPT_ENTRIES, ...ON_DEMAND.map((p) => p.entry)]),
  ];
  return Object.fromEntries(names.map((name) => [name, `src/${name}.ts`]));
}

/** Every runtime dependency not bundled, and its subpaths. */
function externals() {
  const names = Object.keys({
    ...manifest.dependencies,
    ...manifest.optionalDependencies,
    ...manifest.peerDependencies,
  }).filter((name) => !BUNDLED.has(name));
  return names.flatMap((name) => [name, `${name}/*`]);
}

// A bundled file is no longer where its source's `import.meta.url` says, so each source's
// `import.meta.url` becomes its unbundled URL: the path from dist/'s root, written relative to
// the file the module ends up in (mergeIndexChunks, below). Assets (.proto), the package.json and
// workers are then found where they always were.
const ROOT_MARK = '@jepa-loggers-dist-root@/';
const lazyBundled = /lazyModule(<[^\n]*?>)?\(\s*'([^']+)'\s*\)/g;

const sourceUrls = {
  name: 'source-urls',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const source = relative('src', args.path).split(sep).join('/');
      const onDemand = ON_DEMAND.find((part) => part.module === source);
      if (onDemand) {
        const toSrc = relative(dirname(args.path), 'src').split(sep).join('/') || '.';
        // Its own `createRequire`: the path is relative to the file this code ends up in.
        return {
          contents:
            "import { createRequire } from 'node:module';\n" +
            `import { lazyModule } from '${toSrc}/lazy-module.js';\n` +
            `export const ${onDemand.accessor} = lazyModule(() =>\n` +
            `  createRequire(import.meta.url)('${ROOT_MARK}${onDemand.entry}.js'));\n`,
          loader: 'ts',
        };
      }
      const unbundled = source.replace(/\.ts$/, '.js');
      const contents = readFileSync(args.path, 'utf8')
        .replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(ROOT_MARK + unbundled)}, import.meta.url).href`,
        )
        // A bundled dependency loaded on first use (src/lazy-module.ts): its own file when it
        // is one of LAZY_VENDORED, else in the bundle, evaluated on first use all the same.
        .replace(lazyBundled, (call, typeArguments, specifier) => {
          if (!BUNDLED.has(specifier)) return call;
          const path = LAZY_VENDORED.includes(specifier)
            ? `${ROOT_MARK}vendor/${specifier}.cjs`
            : specifier;
          return `lazyModule${typeArguments ?? ''}(() => require(${JSON.stringify(path)}))`;
        });
      return { contents, loader: 'ts' };
    });
  },
};

// The lazily vendored dependencies stay out of the bundle: the rewritten `lazyModule` calls
// require their files (above), and nothing may import them statically.
const vendoredExternal = {
  name: 'vendored-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: new RegExp(`^${ROOT_MARK}vendor/`) }, (args) => ({
      path: args.path,
      external: true,
    }));
    pluginBuild.onResolve({ filter: new RegExp(`^(${LAZY_VENDORED.join('|')})$`) }, (args) => ({
      errors: [{ text: `${args.path} is loaded on first use: use lazyModule('${args.path}')` }],
    }));
  },
};

// zod exports its error messages in some sixty languages (`z.locales`), half of its code; we use
// English only (src/config/zod.ts sets it): the others are left out.
const englishZod = {
  name: 'english-zod',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(args.resolveDir, '../locales/index.js'), namespace: 'english-zod' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'english-zod' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/** The banner of every output file: the bundled CommonJS dependencies require Node's built-ins. */
const BANNER =
  "import { createRequire as __jepaCreateRequire } from 'node:module';\nconst require = __jepaCreateRequire(import.meta.url);";

/**
 * Writes esbuild's in-memory output through rollup, the chunks `index.js` loads merged into one.
 * Code moves only between chunks in `chunks/` (checked below), so each module's paths from
 * dist/'s root (ROOT_MARK) are written relative to the file esbuild gave it.
 */
async function mergeIndexChunks(esbuilt) {
  const files = new Map(esbuilt.outputFiles.map((file) => [file.path, file.text]));
  const outputs = esbuilt.metafile.outputs;
  const indexChunks = new Set();
  const visit = (output) => {
    for (const { path, kind, external } of outputs[output].imports) {
      if (external || kind !== 'import-statement' || indexChunks.has(resolve(path))) continue;
      indexChunks.add(resolve(path));
      visit(path);
    }
  };
  const [index] = Object.keys(outputs).filter(
    (path) => outputs[path].entryPoint === 'src/index.ts',
  );
  visit(index);
  const input = Object.fromEntries(
    Object.entries(outputs)
      .filter(([, output]) => output.entryPoint)
      .map(([path]) => [relative(outdir, path).replace(/\.js$/, ''), resolve(path)]),
  );
  const bundle = await rollup({
    input,
    // esbuild has shaken the tree already; rollup only moves code.
    treeshake: false,
    preserveEntrySignatures: 'strict',
    plugins: [
      {
        name: 'esbuild-output',
        resolveId(source, importer) {
          const path =
            importer && source.startsWith('.') ? resolve(dirname(importer), source) : source;
          return files.has(path) ? path : { id: source, external: true };
        },
        load(id) {
          const toRoot = relative(dirname(id), outdir).split(sep).join('/');
          const code = files.get(id)?.replaceAll(ROOT_MARK, toRoot ? `${toRoot}/` : './');
          return code === undefined ? null : { code, map: files.get(`${id}.map`) ?? null };
        },
      },
    ],
    onwarn(warning) {
      throw new Error(`rollup: ${warning.message}`);
    },
  });
  const { output } = await bundle.write({
    dir: outdir,
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    manualChunks: (id) => (indexChunks.has(id) ? 'core' : undefined),
    banner: BANNER,
    sourcemap: !jsOnly,
  });
  await bundle.close();
  for (const chunk of output.filter((file) => file.type === 'chunk')) {
    const home = dirname(resolve(outdir, chunk.fileName));
    const moved = Object.keys(chunk.modules).find((id) => files.has(id) && dirname(id) !== home);
    if (moved) throw new Error(`${relative(outdir, moved)} moved to ${chunk.fileName}`);
  }
}

// The banner below gives every output file a top-level `require`; a source declaring its own at
// the top level would collide with it in the bundle, so it is refused here, by name.
for (const path of walk('src')) {
  if (
    path.endsWith('.ts') &&
    /^(?:const|let|var|function)\s+require\b/m.test(readFileSync(path, 'utf8'))
  ) {
    throw new Error(
      `${path}: a top-level binding named require collides with the build's; rename it`,
    );
  }
}

// Type errors do not stop tsc from writing the declarations, nor this build: it fails at the end.
let typeErrors = false;
rmSync(outdir, { recursive: true, force: true });
if (!jsOnly) {
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outdir], {
      stdio: 'inherit',
    });
  } catch {
    typeErrors = true;
  }
}

// esbuild bundles, splitting the code the entries share into chunks by the set of entries that use
// it; with some thirty entries, `import 'jepa-loggers'` loaded 35 files. Node's ES module loader
// costs a process about a millisecond a file (resolving, reading, linking), more than the code's
// own compilation: rollup then merges the chunks the index loads into one (`chunks/core-*.js`),
// taking esbuild's output as it is, so that the index loads two files.
const esbuilt = await build({
  entryPoints: entryPoints(),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  chunkNames: 'chunks/[name]-[hash]',
  external: externals(),
  sourcemap: jsOnly ? false : 'external',
  sourcesContent: false,
  // Smaller code is less memory (section 6's RSS budget); names stay, for readable stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [sourceUrls, englishZod, vendoredExternal],
  metafile: true,
  write: false,
  logLevel: 'warning',
});
await mergeIndexChunks(esbuilt);

const vendored = await build({
  entryPoints: Object.fromEntries(LAZY_VENDORED.map((name) => [`vendor/${name}`, name])),
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});

execFileSync(process.execPath, ['scripts/copy-assets.mjs', outdir], { stdio: 'inherit' });

// The licenses of what was bundled, one after another.
const bundledPackages = new Map();
for (const input of [esbuilt, vendored].flatMap((r) => Object.keys(r.metafile.inputs))) {
  const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
  if (match) bundledPackages.set(match[2], match[1]);
}
const notices = [...bundledPackages].sort().map(([name, dir]) => {
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((entry) => /^licen[cs]e/i.test(entry));
  if (!file) throw new Error(`${name}: bundled, but it has no license file to ship`);
  return `${name} ${version} (${license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
});
writeFileSync(
  join(outdir, 'third-party-licenses.txt'),
  `jepa-loggers bundles these packages in its JavaScript:\n\n${notices.join('\n---\n\n')}`,
);

const previous = `${target}.previous`;
rmSync(previous, { recursive: true, force: true });
if (existsSync(target)) renameSync(target, previous);
renameSync(outdir, target);
rmSync(previous, { recursive: true, force: true });
if (typeErrors) process.exitCode = 1;
