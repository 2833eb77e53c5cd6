import { z } from 'zod';
import type { TextStream } from '../../environment.js';
import { levelSchema, logFrequencySchema } from './common.js';

export const consoleSection = z.object({
  level: levelSchema
    .optional()
    .describe('Lines below this level are hidden; rows are INFO. Default: the global level'),
  format: z
    .string()
    .default('%(asctime)s - %(levelname)s - %(message)s')
    .describe('Python logging format: %(asctime)s, %(levelname)s, %(message)s, %(name)s, ...'),
  datefmt: z.string().optional().describe('Python datefmt for %(asctime)s (strftime codes)'),
  colored: z.boolean().default(true).describe('Colour output on terminals (NO_COLOR turns it off)'),
  stream: z
    .union([
      z.enum(['stderr', 'stdout']),
      z.custom<TextStream>(
        (value) => typeof (value as TextStream | null)?.write === 'function',
        'expected stderr, stdout or a writable stream',
      ),
    ])
    .default('stderr')
    .describe('Where lines go: stderr, stdout, or (in code) any writable stream'),
  precision: z.number().int().min(0).max(17).default(4).describe('Digits after the point'),
  log_frequency: logFrequencySchema,
});
export type ConsoleSection = z.output<typeof consoleSection>;
