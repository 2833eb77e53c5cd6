import { z } from 'zod';
import { allRanksSchema, logFrequencySchema, meta } from './common.js';

export const wandbSection = z.object({
  project: meta(z.string().min(1).optional(), { env: 'WANDB_PROJECT' }).describe(
    'W&B project (default: the run project)',
  ),
  entity: meta(z.string().min(1).optional(), { env: 'WANDB_ENTITY' }).describe(
    'W&B entity (user or team)',
  ),
  name: meta(z.string().min(1).optional(), { env: 'WANDB_NAME' }).describe(
    'Display name of the run',
  ),
  id: meta(
    z
      .string()
      .regex(/^[a-z0-9]{8}$/)
      .optional(),
    { env: 'WANDB_RUN_ID' },
  ).describe('Run id: 8 characters of [a-z0-9]'),
  tags: meta(z.array(z.string()).optional(), { env: 'WANDB_TAGS' }).describe(
    'Run tags (the variable is comma-separated)',
  ),
  notes: meta(z.string().optional(), { env: 'WANDB_NOTES' }).describe('Run notes'),
  group: meta(z.string().optional(), { env: 'WANDB_RUN_GROUP' }).describe('Run group'),
  job_type: meta(z.string().optional(), { env: 'WANDB_JOB_TYPE' }).describe('Job type'),
  mode: meta(z.enum(['online', 'offline', 'disabled']).default('online'), {
    env: 'WANDB_MODE',
  }).describe(
    'online streams to the server, offline writes a run `wandb sync` uploads later, disabled does nothing',
  ),
  dir: meta(z.string().optional(), { env: 'WANDB_DIR' }).describe(
    'Directory that holds the wandb/ folder (default: the working directory)',
  ),
  resume: meta(z.enum(['allow', 'must', 'never']).optional(), { env: 'WANDB_RESUME' }).describe(
    'Resume an existing run with this id',
  ),
  base_url: meta(z.string().url().optional(), { env: 'WANDB_BASE_URL' }).describe('W&B server URL'),
  api_key: meta(z.string().min(1).optional(), { env: 'WANDB_API_KEY', secret: true }).describe(
    'API key (prefer the environment variable; never printed)',
  ),
  log_frequency: logFrequencySchema,
  log_gradients: z.boolean().default(false).describe('Log gradient histograms (trainer callbacks)'),
  log_model: z
    .boolean()
    .default(false)
    .describe('Upload model checkpoints as artifacts (trainer callbacks)'),
  all_ranks: allRanksSchema,
});
export type WandbSection = z.output<typeof wandbSection>;
