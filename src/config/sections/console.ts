import type { TextStream } from '../../environment.js';
import * as z from '../zod.js';
import { describe, levelSchema, logFrequencySchema } from './common.js';

export const consoleSection = z.object({
  level: describe(
    z.optional(levelSchema),
    'Lines below this level are hidden; rows are INFO. Default: the global level',
  ),
  format: describe(
    z._default(z.string(), '%(asctime)s - %(levelname)s - %(message)s'),
    'Python logging format: %(asctime)s, %(levelname)s, %(message)s, %(name)s, ...',
  ),
  datefmt: describe(z.optional(z.string()), 'Python datefmt for %(asctime)s (strftime codes)'),
  colored: describe(
    z._default(z.boolean(), true),
    'Colour output on terminals (NO_COLOR turns it off)',
  ),
  stream: describe(
    z._default(
      z.union([
        z.enum(['stderr', 'stdout']),
        z.custom<TextStream>(
          (value) => typeof (value as TextStream | null)?.write === 'function',
          'expected stderr, stdout or a writable stream',
        ),
      ]),
      'stderr',
    ),
    'Where lines go: stderr, stdout, or (in code) any writable stream',
  ),
  precision: describe(z._default(z.int().check(z.gte(0), z.lte(17)), 4), 'Digits after the point'),
  log_frequency: logFrequencySchema,
});
export type ConsoleSection = z.output<typeof consoleSection>;
