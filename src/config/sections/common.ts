import { z } from 'zod';

/** Metadata of a configuration key, shown in docs/configuration.md. */
export interface KeyMeta {
  /** An environment variable this package reads for the key when the config does not set it. */
  readonly env?: string;
  /** An environment variable the OTel SDK reads itself for the key. */
  readonly otelEnv?: string;
  /** Masked in every dump and message. */
  readonly secret?: boolean;
}

export const levelSchema = z
  .enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'])
  .describe('DEBUG, INFO, WARNING, ERROR or CRITICAL');

export const logFrequencySchema = z
  .number()
  .int()
  .min(1)
  .default(1)
  .describe('Write each metric key at most once every N steps (1 writes every row)');

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
  return z.number().min(MIN_SECONDS, { error }).max(MAX_SECONDS, { error });
}

export const exportIntervalSchema = seconds()
  .default(60)
  .describe(
    "Seconds between collections of instruments that are not the run's own (runtime, host, user metrics)",
  );

export const allRanksSchema = z
  .boolean()
  .default(false)
  .describe('Write from every rank, not only rank 0');

export function meta<T extends z.ZodType>(schema: T, keyMeta: KeyMeta): T {
  return schema.meta({ ...keyMeta }) as T;
}
