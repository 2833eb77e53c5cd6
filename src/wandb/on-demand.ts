/**
 * The W&B client, for the code that uses it only once a W&B run starts (the W&B backend and its
 * sink). A process without a W&B backend should not load it: its code was a fifth of what
 * `import 'jepa-loggers'` compiled for a console logger (BENCHMARKS.md section 6).
 *
 * Run from source (the tests), this module imports the client with everything else. In the
 * package, the build puts the client in a file of its own, `dist/wandb/index.js`, and replaces
 * this module by one that requires that file on the first call (scripts/build.mjs,
 * `ON_DEMAND`): the same modules either way, loaded once.
 */
import * as client from './index.js';

export type WandbClient = typeof client;

/** The W&B client's public API (src/wandb/index.ts). */
export function wandbClient(): WandbClient {
  return client;
}
