import * as z from '../zod.js';
import { allRanksSchema, describe, logFrequencySchema, meta, seconds } from './common.js';

export const wandbSection = z.object({
  project: describe(
    meta(z.optional(z.string().check(z.minLength(1))), { env: 'WANDB_PROJECT' }),
    'W&B project (default: the run project)',
  ),
  entity: describe(
    meta(z.optional(z.string().check(z.minLength(1))), { env: 'WANDB_ENTITY' }),
    "W&B entity (user or team); default: the API key owner's default entity",
  ),
  name: describe(
    meta(z.optional(z.string().check(z.minLength(1))), { env: 'WANDB_NAME' }),
    'Display name of the run (default: the run name)',
  ),
  id: describe(
    meta(z.optional(z.string().check(z.regex(/^[a-z0-9]{8}$/))), { env: 'WANDB_RUN_ID' }),
    'Run id: 8 characters of [a-z0-9] (default: the run id)',
  ),
  tags: describe(
    meta(z.optional(z.array(z.string())), { env: 'WANDB_TAGS' }),
    'Run tags (the variable is comma-separated)',
  ),
  notes: describe(meta(z.optional(z.string()), { env: 'WANDB_NOTES' }), 'Run notes'),
  group: describe(meta(z.optional(z.string()), { env: 'WANDB_RUN_GROUP' }), 'Run group'),
  job_type: describe(meta(z.optional(z.string()), { env: 'WANDB_JOB_TYPE' }), 'Job type'),
  mode: describe(
    meta(z._default(z.enum(['online', 'offline', 'disabled', 'dryrun', 'run']), 'online'), {
      env: 'WANDB_MODE',
    }),
    'online streams to the server, offline writes a run `wandb sync` uploads later, disabled does ' +
      "nothing; W&B's aliases dryrun (offline) and run (online) are accepted",
  ),
  dir: describe(
    meta(z.optional(z.string()), { env: 'WANDB_DIR' }),
    'Directory that holds the wandb/ folder of run directories (default: the working directory)',
  ),
  resume: describe(
    meta(z.optional(z.enum(['allow', 'must', 'never'])), { env: 'WANDB_RESUME' }),
    'When the server already has a run with this id: allow continues it, must requires it, ' +
      'never refuses it (default: continue it)',
  ),
  base_url: describe(
    meta(z.optional(z.url()), { env: 'WANDB_BASE_URL' }),
    'W&B server URL (default: the W&B cloud)',
  ),
  api_key: describe(
    meta(z.optional(z.string().check(z.minLength(1))), { env: 'WANDB_API_KEY', secret: true }),
    'API key (prefer the environment variable or `wandb login`; never printed)',
  ),
  summary: describe(
    z._default(
      z.record(z.string(), z.array(z.enum(['min', 'max', 'mean', 'last'])).check(z.minLength(1))),
      {},
    ),
    "Per metric key, the summary to keep instead of the last value: any of 'min', 'max', " +
      "'mean', 'last' (as W&B's define_metric summary)",
  ),
  stream_interval: describe(
    z._default(seconds(), 15),
    'Seconds between file_stream data requests (W&B rate-limits more frequent ones)',
  ),
  heartbeat_interval: describe(
    z._default(seconds(), 30),
    'Seconds without a file_stream request after which an empty one is sent',
  ),
  request_timeout: describe(
    z._default(seconds(), 60),
    'Seconds one HTTP request may take before it is abandoned and retried',
  ),
  finish_timeout: describe(
    z._default(seconds(), 120),
    'Seconds finish() may spend sending what is left; the rest stays in the run directory for `wandb sync`',
  ),
  log_frequency: logFrequencySchema,
  log_gradients: describe(
    z._default(z.boolean(), false),
    'LoggingCallback logs gradient histograms (gradients/<name>) with the weight histograms',
  ),
  log_model: describe(
    z._default(z.boolean(), false),
    'LoggingCallback uploads a checkpoint as a W&B model artifact every save_frequency steps',
  ),
  console: describe(
    z._default(z.enum(['wrap', 'off']), 'wrap'),
    "Console output in W&B's Logs tab (output.log): wrap copies the lines the console backend prints (and, with capture_output, all the process prints), the API key masked; off copies nothing",
  ),
  capture_output: describe(
    z._default(z.boolean(), false),
    "With console: wrap, copy every line the process prints to stdout and stderr (console.log, libraries), as W&B's own client does, not only the console backend's",
  ),
  all_ranks: describe(
    allRanksSchema,
    'Write from every rank, not only rank 0: each rank is its own run, grouped by the run id',
  ),
});
export type WandbSection = z.output<typeof wandbSection>;
