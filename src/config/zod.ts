/**
 * zod as this package uses it: the `mini` build, with English error messages. Every module of
 * ours imports zod from here, so that none misses the setup below.
 *
 * Mini rather than classic: a bundle keeps only the zod functions our schemas call, where
 * classic's methods keep nearly all of zod (the bundle's chunk that holds it went from 302 KB to
 * 93 KB). Imported as a namespace, `import * as z`, for the same reason: the `z` object that zod
 * exports would keep all of it.
 */
import * as z from 'zod/mini';

// Classic loads English error messages on import; mini has none until told (its messages are
// then "Invalid input"). Ours quote zod's English ones, and tests check them.
z.config(z.locales.en());

export * from 'zod/mini';
