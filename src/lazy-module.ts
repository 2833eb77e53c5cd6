/**
 * Dependencies that only some backends use (PNG encoding, protobuf, the OTLP exporters, JSON
 * Schema validation) are loaded when first used, not when `jepa-loggers` is imported: a
 * console-only logger never pays for them. The code that uses them is synchronous (a backend is
 * made inside `createLogger`), so they are loaded with `require()`.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const requireHere = createRequire(import.meta.url);

/**
 * A function returning `specifier`'s module, loaded on its first call. It is the very module an
 * `import` here would load, whether the package is CommonJS or an ES module (required as one, as
 * Node does from 20.19 and 22.12 on): a dual package is never loaded twice, once of each kind.
 *
 * A Node built-in (`node:zlib`) is loaded the same way: some cost a process milliseconds to load
 * (`node:child_process` some 9 ms here), for features only some backends use.
 *
 * The build (scripts/build.mjs) bundles some dependencies into our own files: for those it passes
 * a function returning the bundled module instead of the specifier, still evaluated on first use.
 */
export function lazyModule<T>(specifier: string | (() => T)): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??=
      typeof specifier === 'function'
        ? specifier()
        : (requireHere(specifier.startsWith('node:') ? specifier : resolve(specifier)) as T);
    return loaded;
  };
}

/**
 * The file `import` would load. Module runners that transform the code (vitest) have no
 * `import.meta.resolve`: there the file `require` would load, the same one for CommonJS packages.
 */
function resolve(specifier: string): string {
  return typeof import.meta.resolve === 'function'
    ? fileURLToPath(import.meta.resolve(specifier))
    : requireHere.resolve(specifier);
}
