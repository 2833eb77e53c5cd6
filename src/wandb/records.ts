/**
 * W&B `Record` messages for the `.wandb` file, as plain objects and encoded bytes. Pure: the
 * writer numbers and frames them. Values are JSON as W&B writes it (`wandbJson`).
 */
import { wandbRecordType } from './proto.js';
import type { WandbRunInfo } from './run-info.js';
import { wandbJson } from './wandb-json.js';

/** The producer named in the header; readers only check `min_consumer`. */
const PRODUCER = 'jepa-loggers';
/** The oldest `wandb` that reads these files (the same as W&B's own writers declare). */
const MIN_CONSUMER = '0.70.0';

/** One record's content: exactly one `Record` oneof field. */
export type RecordBody = Readonly<Record<string, unknown>>;

export interface ManifestEntry {
  /** Path inside the artifact (posix separators). */
  readonly path: string;
  /** base64(md5(bytes)). */
  readonly digest: string;
  readonly size: number;
  /** Where the bytes are on this machine (the staged copy). */
  readonly localPath: string;
}

export interface ArtifactRecordFields {
  readonly run: WandbRunInfo;
  readonly type: string;
  readonly name: string;
  /** The manifest digest (hex). */
  readonly digest: string;
  readonly aliases: readonly string[];
  readonly entries: readonly ManifestEntry[];
  readonly clientId: string;
  readonly sequenceClientId: string;
}

/** The record's bytes (a `wandb_internal.Record`) with sequence number `num`. */
export function encodeRecord(num: number, body: RecordBody): Uint8Array {
  return wandbRecordType()
    .encode({ num, ...body })
    .finish();
}

export function headerRecord(): RecordBody {
  return { header: { versionInfo: { producer: PRODUCER, minConsumer: MIN_CONSUMER } } };
}

export function runRecord(
  run: WandbRunInfo,
  config: Readonly<Record<string, unknown>>,
): RecordBody {
  return {
    run: {
      runId: run.id,
      entity: run.entity ?? '',
      project: run.project,
      displayName: run.displayName,
      notes: run.notes ?? '',
      tags: [...run.tags],
      runGroup: run.group ?? '',
      jobType: run.jobType ?? '',
      host: run.host,
      startTime: timestamp(run.startTimeMs),
      config: { update: items(config) },
    },
  };
}

export function configRecord(values: Readonly<Record<string, unknown>>): RecordBody {
  return { config: { update: items(values) } };
}

export function summaryRecord(summary: Readonly<Record<string, unknown>>): RecordBody {
  return { summary: { update: items(summary) } };
}

/** Files under the run's `files/` that `wandb sync` uploads (media: type MEDIA, policy NOW). */
export function filesRecord(paths: readonly string[]): RecordBody {
  return { files: { files: paths.map((path) => ({ path, policy: 0, type: 2 })) } };
}

export function artifactRecord(fields: ArtifactRecordFields): RecordBody {
  return {
    artifact: {
      runId: fields.run.id,
      project: fields.run.project,
      entity: fields.run.entity ?? '',
      type: fields.type,
      name: fields.name,
      digest: fields.digest,
      aliases: [...fields.aliases],
      manifest: {
        version: 1,
        storagePolicy: 'wandb-storage-policy-v1',
        storagePolicyConfig: [{ key: 'storageLayout', valueJson: '"V2"' }],
        contents: fields.entries.map((entry) => ({ ...entry })),
      },
      finalize: true,
      clientId: fields.clientId,
      sequenceClientId: fields.sequenceClientId,
      digestAlgorithm: 'MANIFEST_MD5',
    },
  };
}

/** A sample of system metrics under W&B's keys (`cpu`, `gpu.0.gpu`; a sync adds `system.`). */
export function statsRecord(timeMs: number, stats: Readonly<Record<string, number>>): RecordBody {
  return { stats: { statsType: 0, timestamp: timestamp(timeMs), item: items(stats) } };
}

/** Console output as printed (its line end included); a sync streams it to `output.log`. */
export function outputRawRecord(
  timeMs: number,
  stream: 'stdout' | 'stderr',
  text: string,
): RecordBody {
  return {
    outputRaw: {
      outputType: stream === 'stderr' ? 0 : 1,
      timestamp: timestamp(timeMs),
      line: text,
    },
  };
}

/** The run's end: a failed run has a non-zero exit code; `runtime` is whole seconds. */
export function exitRecord(exitCode: number, runtimeSeconds: number): RecordBody {
  return { exit: { exitCode, runtime: Math.floor(runtimeSeconds) } };
}

export function finalRecord(): RecordBody {
  return { final: {} };
}

/** A `google.protobuf.Timestamp`. */
function timestamp(timeMs: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(timeMs / 1000);
  return { seconds, nanos: Math.round((timeMs - seconds * 1000) * 1e6) };
}

function items(values: Readonly<Record<string, unknown>>): { key: string; valueJson: string }[] {
  return Object.entries(values).map(([key, value]) => ({ key, valueJson: wandbJson(value) }));
}
