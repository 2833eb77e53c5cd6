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

export const exportIntervalSchema = z
  .number()
  .positive()
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
