import { z } from 'zod';
import { allRanksSchema, logFrequencySchema, seconds } from './common.js';

export const tensorboardSection = z.object({
  log_dir: z
    .string()
    .min(1)
    .default('logs/tensorboard')
    .describe(
      'Root directory to point TensorBoard at; each run writes to log_dir/<run name>, its hyperparameters included',
    ),
  log_frequency: logFrequencySchema,
  log_images: z
    .boolean()
    .default(true)
    .describe('Write logImage calls (a batch as <tag>, <tag>/1, <tag>/2, ...)'),
  log_histograms: z.boolean().default(true).describe('Write logHistogram calls'),
  flush_secs: seconds()
    .default(5)
    .describe(
      'Seconds between flushes of the event file to disk (also flushed at finish and exit)',
    ),
  all_ranks: allRanksSchema,
});
export type TensorBoardSection = z.output<typeof tensorboardSection>;
