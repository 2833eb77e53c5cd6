/**
 * The configuration schema: global keys and one section per built-in backend. Keys are the
 * Python API's (snake_case) so its YAML loads as is; docs/configuration.md is generated from here.
 */
import { describe, exportIntervalSchema, levelSchema, meta, seconds } from './sections/common.js';
import { consoleSection } from './sections/console.js';
import { otlpSection } from './sections/otlp.js';
import { tensorboardSection } from './sections/tensorboard.js';
import { wandbSection } from './sections/wandb.js';
import * as z from './zod.js';

/** W&B's own sampling interval, in seconds. */
export const DEFAULT_SYSTEM_METRICS_INTERVAL_S = 15;

export const globalSchema = z.object({
  level: describe(
    z._default(levelSchema, 'INFO'),
    'Default level of the console and the conditional logger',
  ),
  backends: describe(
    z._default(z.array(z.string().check(z.minLength(1))), ['console']),
    'Backends by registered name: console, tensorboard, wandb, otlp, or your own',
  ),
  log_frequency: describe(
    z._default(z.int().check(z.gte(1)), 1),
    'Batches between logged rows in trainer callbacks (LoggingCallback)',
  ),
  save_frequency: describe(
    z.optional(z.int().check(z.gte(1))),
    'Steps between model checkpoints LoggingCallback hands to logModel, when wandb.log_model is on',
  ),
  project: describe(
    meta(z.optional(z.string().check(z.minLength(1))), { env: 'JEPA_PROJECT' }),
    'Project of the run (OTel service.name); default: wandb.project, then WANDB_PROJECT, then "jepa"',
  ),
  run_name: describe(
    meta(z.optional(z.string().check(z.minLength(1))), { env: 'JEPA_RUN_NAME' }),
    'Name of the run (TensorBoard run directory, W&B display name); default run-<id>',
  ),
  run_id: describe(
    meta(z.optional(z.string().check(z.regex(/^[a-z0-9]{8}$/))), { env: 'JEPA_RUN_ID' }),
    'Run id shared by all ranks; default: derived from the launcher job id, else random',
  ),
  instruments: describe(
    z._default(z.record(z.string(), z.enum(['gauge', 'counter', 'histogram'])), {}),
    'OTel instrument kind per metric key (default gauge)',
  ),
  histogram_bins: describe(
    z._default(z.int().check(z.gte(1), z.lte(10_000)), 64),
    'Buckets of logHistogram for raw values',
  ),
  export_interval: exportIntervalSchema,
  flush_timeout: describe(
    z._default(seconds(), 10),
    'Seconds finish(), a signal, a crash or exit may spend delivering what is left, across all backends; what is not delivered by then is counted and reported as lost',
  ),
  handle_signals: describe(
    z._default(z.boolean(), false),
    'Finish every run on SIGINT and SIGTERM, then die of the signal. Off by default: Node runs a signal listener only when the event loop turns, so a training loop that never awaits would make SIGTERM and Ctrl-C wait for it to end. Crashes and a forgotten finish() are always handled',
  ),
  register_global: describe(
    z._default(z.boolean(), false),
    "Make the run's OTel providers and a context manager the global ones, for scripts without an OTel SDK of their own (see docs/otel.md)",
  ),
  system_metrics: describe(
    z.optional(z.boolean()),
    "Sample host, process, Node runtime and GPU metrics (see docs/system-metrics.md). Default: on when the run has a wandb backend, whose users expect W&B's System panel filled, off otherwise, where nobody asked for them and they would add series to your Prometheus",
  ),
  system_metrics_interval: describe(
    z._default(seconds(), DEFAULT_SYSTEM_METRICS_INTERVAL_S),
    'Seconds between samples of the system metrics (15, as W&B samples)',
  ),
});
export type GlobalConfig = z.output<typeof globalSchema>;

/** The sections of the built-in backends; a registered custom backend's section is free-form. */
export const sectionSchemas = {
  console: consoleSection,
  tensorboard: tensorboardSection,
  wandb: wandbSection,
  otlp: otlpSection,
} as const;
export type BuiltinBackend = keyof typeof sectionSchemas;

/**
 * A configuration written in code, typed from the schema: a misspelled key or a wrong-typed value
 * is a compile error. `Custom` names the sections of registered custom backends
 * (`LoggingConfigInput<'memory'>`), which are free-form. Dicts that are only known at run time
 * (parsed JSON) go through `LoggingConfig.load`, and YAML files are checked at run time, with
 * their line numbers.
 */
export type LoggingConfigInput<Custom extends string = never> = z.input<typeof globalSchema> & {
  readonly [B in BuiltinBackend]?: z.input<(typeof sectionSchemas)[B]>;
} & { readonly [C in NoInfer<Custom>]?: Readonly<Record<string, unknown>> };
export type SectionConfig<B extends BuiltinBackend> = z.output<(typeof sectionSchemas)[B]>;
