import { z } from 'zod';
import { allRanksSchema, logFrequencySchema, meta, seconds } from './common.js';

export const wandbSection = z.object({
  project: meta(z.string().min(1).optional(), { env: 'WANDB_PROJECT' }).describe(
    'W&B project (default: the run project)',
  ),
  entity: meta(z.string().min(1).optional(), { env: 'WANDB_ENTITY' }).describe(
    "W&B entity (user or team); default: the API key owner's default entity",
  ),
  name: meta(z.string().min(1).optional(), { env: 'WANDB_NAME' }).describe(
    'Display name of the run (default: the run name)',
  ),
  id: meta(
    z
      .string()
      .regex(/^[a-z0-9]{8}$/)
      .optional(),
    { env: 'WANDB_RUN_ID' },
  ).describe('Run id: 8 characters of [a-z0-9] (default: the run id)'),
  tags: meta(z.array(z.string()).optional(), { env: 'WANDB_TAGS' }).describe(
    'Run tags (the variable is comma-separated)',
  ),
  notes: meta(z.string().optional(), { env: 'WANDB_NOTES' }).describe('Run notes'),
  group: meta(z.string().optional(), { env: 'WANDB_RUN_GROUP' }).describe('Run group'),
  job_type: meta(z.string().optional(), { env: 'WANDB_JOB_TYPE' }).describe('Job type'),
  mode: meta(z.enum(['online', 'offline', 'disabled', 'dryrun', 'run']).default('online'), {
    env: 'WANDB_MODE',
  }).describe(
    'online streams to the server, offline writes a run `wandb sync` uploads later, disabled does ' +
      "nothing; W&B's aliases dryrun (offline) and run (online) are accepted",
  ),
  dir: meta(z.string().optional(), { env: 'WANDB_DIR' }).describe(
    'Directory that holds the wandb/ folder of run directories (default: the working directory)',
  ),
  resume: meta(z.enum(['allow', 'must', 'never']).optional(), { env: 'WANDB_RESUME' }).describe(
    'When the server already has a run with this id: allow continues it, must requires it, ' +
      'never refuses it (default: continue it)',
  ),
  base_url: meta(z.string().url().optional(), { env: 'WANDB_BASE_URL' }).describe(
    'W&B server URL (default: the W&B cloud)',
  ),
  api_key: meta(z.string().min(1).optional(), { env: 'WANDB_API_KEY', secret: true }).describe(
    'API key (prefer the environment variable or `wandb login`; never printed)',
  ),
  summary: z
    .record(z.string(), z.array(z.enum(['min', 'max', 'mean', 'last'])).min(1))
    .default({})
    .describe(
      "Per metric key, the summary to keep instead of the last value: any of 'min', 'max', " +
        "'mean', 'last' (as W&B's define_metric summary)",
    ),
  stream_interval: seconds()
    .default(15)
    .describe('Seconds between file_stream data requests (W&B rate-limits more frequent ones)'),
  heartbeat_interval: seconds()
    .default(30)
    .describe('Seconds without a file_stream request after which an empty one is sent'),
  request_timeout: seconds()
    .default(60)
    .describe('Seconds one HTTP request may take before it is abandoned and retried'),
  finish_timeout: seconds()
    .default(120)
    .describe(
      'Seconds finish() may spend sending what is left; the rest stays in the run directory for `wandb sync`',
    ),
  log_frequency: logFrequencySchema,
  log_gradients: z
    .boolean()
    .default(false)
    .describe(
      'LoggingCallback logs gradient histograms (gradients/<name>) with the weight histograms',
    ),
  log_model: z
    .boolean()
    .default(false)
    .describe(
      'LoggingCallback uploads a checkpoint as a W&B model artifact every save_frequency steps',
    ),
  console: z
    .enum(['wrap', 'off'])
    .default('wrap')
    .describe(
      "Console output in W&B's Logs tab (output.log): wrap copies the lines the console backend prints (and, with capture_output, all the process prints), the API key masked; off copies nothing",
    ),
  capture_output: z
    .boolean()
    .default(false)
    .describe(
      "With console: wrap, copy every line the process prints to stdout and stderr (console.log, libraries), as W&B's own client does, not only the console backend's",
    ),
  all_ranks: allRanksSchema.describe(
    'Write from every rank, not only rank 0: each rank is its own run, grouped by the run id',
  ),
});
export type WandbSection = z.output<typeof wandbSection>;
