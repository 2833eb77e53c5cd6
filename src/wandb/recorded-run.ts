/**
 * The run a `.wandb` transaction log holds, as an upload needs it: who the run is, its config,
 * its history rows (one JSON line each, as recorded), its summary, the run files and models it
 * names, and how it ended. Records are folded in order, as W&B's own reader does: config and
 * summary items update (or remove) key paths, every history record is one row. Record kinds an
 * upload does not replay (telemetry, environment) are skipped; system metrics and console
 * output become the lines W&B streams for them. Decoding is pure; `readRecordedRun` adds the file
 * read.
 */
import { readFileSync } from 'node:fs';
import type { OutputStream } from './console-capture.js';
import { JsonTree, type RecordItem } from './json-tree.js';
import type { StagedArtifact } from './model-artifact.js';
import { wandbRecordType } from './proto.js';
import { type FramingDamage, unframeRecords, WandbFileFormatError } from './record-unframing.js';
import { eventsLine, outputLine } from './streamed-lines.js';

export interface RecordedRun {
  /** The run id (8 characters of [a-z0-9] for runs W&B or jepa-loggers made). */
  readonly id: string;
  /** Empty fields are undefined: the server's defaults apply. */
  readonly entity?: string;
  readonly project?: string;
  readonly displayName?: string;
  readonly notes?: string;
  readonly tags: readonly string[];
  readonly group?: string;
  readonly jobType?: string;
  readonly host?: string;
  /** Unix ms. */
  readonly startTimeMs?: number;
  readonly config: Readonly<Record<string, unknown>>;
  /** History rows as JSON lines, in order. */
  readonly history: readonly string[];
  /** The whole summary as JSON. */
  readonly summaryJson: string;
  /** Paths under the run's `files/` that records name (media, metadata), without repeats. */
  readonly files: readonly string[];
  /** Models and other artifacts, as staged when they were logged. */
  readonly artifacts: readonly StagedArtifact[];
  /** The exit record's code; undefined when the run has none (it crashed, or is still running). */
  readonly exitCode?: number;
  /** `wandb-events.jsonl` lines, one per stats record. */
  readonly events: readonly string[];
  /** `output.log` lines from the `output_raw` records. */
  readonly output: readonly string[];
}

export interface ReadRun {
  readonly run: RecordedRun;
  /** Bytes that could not be read (see `unframeRecords`). */
  readonly damage: readonly FramingDamage[];
  readonly tornTailBytes: number;
}

/** Reads and decodes the `.wandb` file at `path`; throws a WandbFileFormatError naming it. */
export function readRecordedRun(path: string): ReadRun {
  try {
    const { payloads, damage, tornTailBytes } = unframeRecords(readFileSync(path));
    return { run: decodeRecordedRun(payloads), damage, tornTailBytes };
  } catch (error) {
    if (error instanceof WandbFileFormatError) {
      throw new WandbFileFormatError(`${path}: ${error.message}`);
    }
    throw error;
  }
}

/** The run that `payloads` (encoded `wandb_internal.Record`s, in file order) describe. */
export function decodeRecordedRun(payloads: readonly Uint8Array[]): RecordedRun {
  const type = wandbRecordType();
  let run: RunFields | undefined;
  const config = new JsonTree();
  const summary = new JsonTree();
  const history: string[] = [];
  const files = new Set<string>();
  const artifacts: StagedArtifact[] = [];
  const stats: StatsFields[] = [];
  const output = new OutputLines();
  let exitCode: number | undefined;
  for (const [index, payload] of payloads.entries()) {
    let record: DecodedRecord;
    try {
      record = type.toObject(type.decode(payload), { longs: Number }) as DecodedRecord;
    } catch (error) {
      throw new WandbFileFormatError(
        `record ${index + 1} is not a W&B Record message (${(error as Error).message})`,
      );
    }
    if (record.run && !run) {
      run = record.run;
      config.update(run.config?.update);
      summary.update(run.summary?.update);
    } else if (record.config) {
      config.update(record.config.update).remove(record.config.remove);
    } else if (record.summary) {
      summary.update(record.summary.update).remove(record.summary.remove);
    } else if (record.history) {
      history.push(new JsonTree().update(record.history.item).toJson());
    } else if (record.files) {
      for (const file of record.files.files ?? []) if (file.path) files.add(file.path);
    } else if (record.artifact) {
      artifacts.push(stagedArtifact(record.artifact));
    } else if (record.exit) {
      exitCode = record.exit.exitCode ?? 0;
    } else if (record.stats) {
      stats.push(record.stats);
    } else if (record.outputRaw) {
      output.add(record.outputRaw);
    }
  }
  if (!run?.runId) {
    throw new WandbFileFormatError('it holds no run record, so there is no run to upload');
  }
  const start = run.startTime;
  const startTimeMs = start ? millisOf(start) : undefined;
  return {
    id: run.runId,
    entity: run.entity || undefined,
    project: run.project || undefined,
    displayName: run.displayName || undefined,
    notes: run.notes || undefined,
    tags: run.tags ?? [],
    group: run.runGroup || undefined,
    jobType: run.jobType || undefined,
    host: run.host || undefined,
    startTimeMs,
    config: config.toValue(),
    history,
    summaryJson: summary.toJson(),
    files: [...files],
    artifacts,
    exitCode,
    events: stats.map((record) =>
      eventsLine(
        (record.item ?? []).map((item) => [item.key ?? '', item.valueJson ?? 'null'] as const),
        millisOf(record.timestamp ?? {}),
        startTimeMs ?? 0,
      ),
    ),
    output: output.lines(),
  };
}

/** Console output records as `output.log` lines: text split at line ends, per stream. */
class OutputLines {
  private readonly done: string[] = [];
  private readonly partial = new Map<OutputStream, { text: string; timeMs: number }>();

  add(record: OutputRawFields): void {
    // STDERR is 0, proto3's default, which the decoded record leaves out.
    const stream: OutputStream = record.outputType === 1 ? 'stdout' : 'stderr';
    const timeMs = millisOf(record.timestamp ?? {});
    const pieces = ((this.partial.get(stream)?.text ?? '') + (record.line ?? '')).split('\n');
    const last = pieces.pop()!;
    for (const line of pieces) this.done.push(outputLine(stream, line, timeMs));
    this.partial.set(stream, { text: last, timeMs });
  }

  lines(): string[] {
    const unfinished = [...this.partial].filter(([, { text }]) => text !== '');
    return [
      ...this.done,
      ...unfinished.map(([s, { text, timeMs }]) => outputLine(s, text, timeMs)),
    ];
  }
}

function millisOf(timestamp: TimestampFields): number {
  return (timestamp.seconds ?? 0) * 1000 + (timestamp.nanos ?? 0) / 1e6;
}

function stagedArtifact(record: ArtifactFields): StagedArtifact {
  return {
    type: record.type ?? '',
    name: record.name ?? '',
    aliases: record.aliases ?? [],
    digest: record.digest ?? '',
    clientId: record.clientId ?? '',
    sequenceClientId: record.sequenceClientId ?? '',
    files: (record.manifest?.contents ?? []).map((entry) => ({
      path: entry.path ?? '',
      digest: entry.digest ?? '',
      size: entry.size ?? 0,
      localPath: entry.localPath ?? '',
    })),
  };
}

/** The fields read, as protobufjs decodes them (camelCase; proto3 leaves out default values). */
interface DecodedRecord {
  readonly run?: RunFields;
  readonly config?: ItemsRecord;
  readonly summary?: ItemsRecord;
  readonly history?: { readonly item?: RecordItem[] };
  readonly files?: { readonly files?: { readonly path?: string }[] };
  readonly artifact?: ArtifactFields;
  readonly exit?: { readonly exitCode?: number };
  readonly stats?: StatsFields;
  readonly outputRaw?: OutputRawFields;
}

interface TimestampFields {
  readonly seconds?: number;
  readonly nanos?: number;
}

interface StatsFields {
  readonly timestamp?: TimestampFields;
  readonly item?: { readonly key?: string; readonly valueJson?: string }[];
}

interface OutputRawFields {
  /** 0 stderr, 1 stdout. */
  readonly outputType?: number;
  readonly timestamp?: TimestampFields;
  readonly line?: string;
}

interface ItemsRecord {
  readonly update?: RecordItem[];
  readonly remove?: RecordItem[];
}

interface RunFields {
  readonly runId?: string;
  readonly entity?: string;
  readonly project?: string;
  readonly config?: ItemsRecord;
  readonly summary?: ItemsRecord;
  readonly runGroup?: string;
  readonly jobType?: string;
  readonly displayName?: string;
  readonly notes?: string;
  readonly tags?: string[];
  readonly host?: string;
  readonly startTime?: { readonly seconds?: number; readonly nanos?: number };
}

interface ArtifactFields {
  readonly type?: string;
  readonly name?: string;
  readonly digest?: string;
  readonly aliases?: string[];
  readonly clientId?: string;
  readonly sequenceClientId?: string;
  readonly manifest?: {
    readonly contents?: {
      readonly path?: string;
      readonly digest?: string;
      readonly size?: number;
      readonly localPath?: string;
    }[];
  };
}
