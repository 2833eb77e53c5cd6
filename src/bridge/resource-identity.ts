/**
 * Which run a resource belongs to. Our SDK puts the run on the resource (`jepa.run.id`,
 * `jepa.rank`, ...; see telemetry/resource.ts); another producer can set the same attributes
 * (`OTEL_RESOURCE_ATTRIBUTES=jepa.run.id=...`). A producer that sets none is one run per
 * `service.name` + `service.instance.id`, with an id derived from them, so that its TensorBoard
 * directory and W&B run stay the same across requests and restarts of the bridge.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_PROJECT, RUN_ID_PATTERN, type RunIdentity } from '../events/run-identity.js';
import { RunAttr } from '../telemetry/resource.js';
import type { Attributes } from './otlp-model.js';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SERVICE_NAME = 'service.name';
const SERVICE_INSTANCE_ID = 'service.instance.id';

export function identityOf(resource: Attributes): RunIdentity {
  const given = text(resource[RunAttr.id]);
  const service = text(resource[SERVICE_NAME]);
  const instance = text(resource[SERVICE_INSTANCE_ID]);
  const id =
    given && RUN_ID_PATTERN.test(given)
      ? given
      : derivedId(given ?? `${service ?? ''}\u0000${instance ?? ''}`);
  return {
    id,
    name: text(resource[RunAttr.name]) ?? `run-${id}`,
    project: text(resource[RunAttr.project]) ?? service ?? DEFAULT_PROJECT,
    rank: count(resource[RunAttr.rank], 0),
    localRank: count(resource[RunAttr.localRank], 0),
    worldSize: count(resource[RunAttr.worldSize], 1),
  };
}

/** The key of a run's process: ranks of one run are separate runs of the bridge. */
export function runKeyOf(identity: RunIdentity): string {
  return `${identity.project}/${identity.id}/${identity.rank}`;
}

function derivedId(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; i < 8; i++) id += ID_ALPHABET[digest[i]! % ID_ALPHABET.length];
  return id;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function count(value: unknown, fallback: number): number {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0
    ? number
    : fallback;
}
