import * as z from '../zod.js';

/** Metadata of a configuration key, shown in docs/configuration.md. */
export interface KeyMeta {
  /** An environment variable this package reads for the key when the config does not set it. */
  readonly env?: string;
  /** An environment variable the OTel SDK reads itself for the key. */
  readonly otelEnv?: string;
  /** Masked in every dump and message. */
  readonly secret?: boolean;
}

export const levelSchema = describe(
  z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']),
  'DEBUG, INFO, WARNING, ERROR or CRITICAL',
);

export const logFrequencySchema = describe(
  z._default(z.int().check(z.gte(1)), 1),
  'Write each metric key at most once every N steps (1 writes every row)',
);

/**
 * Bounds of every duration key, in seconds. Node schedules a timer of at most 2^31-1 ms (24.8
 * days) and fires a longer one after 1 ms, with a TimeoutOverflowWarning, so a stream interval of
 * 3e6 s would send a request every millisecond; a day is longer than any interval or timeout a run
 * needs. Below 10 ms a timer is mostly scheduling noise.
 */
export const MIN_SECONDS = 0.01;
export const MAX_SECONDS = 86_400;

/** A duration in seconds, refused with its range when Node could not schedule it. */
export function seconds() {
  const error = `expected seconds from ${MIN_SECONDS} to ${MAX_SECONDS} (a day)`;
  return z.number().check(z.gte(MIN_SECONDS, { error }), z.lte(MAX_SECONDS, { error }));
}

export const exportIntervalSchema = describe(
  z._default(seconds(), 60),
  "Seconds between collections of instruments that are not the run's own (runtime, host, user metrics)",
);

export const allRanksSchema = describe(
  z._default(z.boolean(), false),
  'Write from every rank, not only rank 0',
);

/** `schema` with a description (classic's `schema.describe(description)`). */
export function describe<T extends z.ZodMiniType>(schema: T, description: string): T {
  return withMeta(schema, { description });
}

/** `schema` with the metadata of a configuration key. */
export function meta<T extends z.ZodMiniType>(schema: T, keyMeta: KeyMeta): T {
  return withMeta(schema, { ...keyMeta });
}

/**
 * `schema` with `data` added to its metadata, on a copy that inherits the rest, as classic's
 * `.meta(data)` and `.describe()` do. Not `.check(z.meta(data))`: `check` copies the definition
 * property by property, which reads a default's getter once, and every parse would then return
 * the same default array or object, shared by every configuration.
 */
function withMeta<T extends z.ZodMiniType>(schema: T, data: z.core.GlobalMeta): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, data);
  return copy;
}
