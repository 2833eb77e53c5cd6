import * as z from '../zod.js';
import { allRanksSchema, describe, logFrequencySchema, seconds } from './common.js';

export const tensorboardSection = z.object({
  log_dir: describe(
    z._default(z.string().check(z.minLength(1)), 'logs/tensorboard'),
    'Root directory to point TensorBoard at; each run writes to log_dir/<run name>, its hyperparameters included',
  ),
  log_frequency: logFrequencySchema,
  log_images: describe(
    z._default(z.boolean(), true),
    'Write logImage calls (a batch as <tag>, <tag>/1, <tag>/2, ...)',
  ),
  log_histograms: describe(z._default(z.boolean(), true), 'Write logHistogram calls'),
  flush_secs: describe(
    z._default(seconds(), 5),
    'Seconds between flushes of the event file to disk (also flushed at finish and exit)',
  ),
  all_ranks: allRanksSchema,
});
export type TensorBoardSection = z.output<typeof tensorboardSection>;
