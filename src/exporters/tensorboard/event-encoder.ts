/**
 * Training events as TensorBoard `Event` messages, serialized: pure functions, no I/O. Each
 * produces the bytes TensorBoard's own writers produce for the same content (the golden tests
 * compare them byte for byte), so fields at their default value are left out, as proto3 does.
 *
 * - rows: one `Event` per row, a `simple_value` per key (scalar-row-encoder, the hot path);
 * - histograms: `HistogramProto`; images: `Summary.Image` with the PNG;
 * - text: a string tensor for the `text` plugin (markdown);
 * - hyperparameters: the `hparams` plugin's session start and end infos (see `sessionStartEvent`).
 */
import type {
  HistogramEvent,
  HparamsEvent,
  ImageEvent,
  RunStatus,
  TextEvent,
} from '../../events/events.js';
import { tensorboardTypes } from './proto.js';

/** The `file_version` of the first event of a file. */
export const FILE_VERSION = 'brain.Event:2';
/** `source_metadata.writer` of the first event. */
export const WRITER_NAME = 'jepa-loggers';
export const SESSION_START_INFO_TAG = '_hparams_/session_start_info';
export const SESSION_END_INFO_TAG = '_hparams_/session_end_info';

const DT_FLOAT = 1;
const DT_STRING = 7;
/** TensorBoard's hparams summaries carry an empty float vector: the data is in the metadata. */
const NULL_TENSOR = { dtype: DT_FLOAT, tensorShape: { dim: [{}] } };
const TEXT_METADATA = { pluginData: { pluginName: 'text' } };
/** The hparams plugin reads version 0 only. */
const HPARAMS_VERSION = 0;

/** The hparams plugin knows success and failure only: an interrupted run did not succeed. */
const SESSION_STATUS: Record<RunStatus, number> = {
  finished: 1, // STATUS_SUCCESS
  failed: 2, // STATUS_FAILURE
  interrupted: 2,
};

interface SummaryValue {
  tag: string;
  metadata?: unknown;
  image?: unknown;
  histo?: unknown;
  tensor?: unknown;
}

/** The first event of every file. */
export function fileVersionEvent(timeMs: number): Uint8Array {
  return encodeEvent({
    wallTime: set(timeMs / 1000),
    fileVersion: FILE_VERSION,
    sourceMetadata: { writer: WRITER_NAME },
  });
}

export function histogramEvent(event: HistogramEvent): Uint8Array {
  const h = event.histogram;
  const histo = {
    min: set(h.min),
    max: set(h.max),
    num: set(h.count),
    sum: set(h.sum),
    sumSquares: set(h.sumSquares),
    bucketLimit: h.bucketLimits,
    bucket: h.bucketCounts,
  };
  return summaryEvent(event.timeMs, event.step, [{ tag: event.tag, histo }]);
}

/**
 * One image, under `tag` itself when it is the first of its batch and `tag/<index>` otherwise,
 * so that every image of a batch is its own series in the Images dashboard.
 */
export function imageEvent(event: ImageEvent): Uint8Array {
  const image = {
    height: set(event.height),
    width: set(event.width),
    colorspace: set(event.channels),
    encodedImageString: event.png.byteLength > 0 ? event.png : undefined,
  };
  const tag = event.index === 0 ? event.tag : `${event.tag}/${event.index}`;
  return summaryEvent(event.timeMs, event.step, [{ tag, image }]);
}

/** Text as a rank-0 string tensor for the `text` plugin, which renders it as markdown. */
export function textEvent(event: TextEvent): Uint8Array {
  const tensor = {
    dtype: DT_STRING,
    tensorShape: {},
    stringVal: [Buffer.from(event.text, 'utf8')],
  };
  return summaryEvent(event.timeMs, event.step, [
    { tag: event.tag, tensor, metadata: TEXT_METADATA },
  ]);
}

/**
 * The hparams plugin's session start: the run directory is the session, and its scalars are the
 * metrics the hparams dashboard shows. Nested values are flattened to `a/b`; numbers, booleans
 * and strings are kept as they are, everything else (lists, null, non-finite numbers, which
 * TensorBoard cannot show as numbers) as text. Keys are sorted, so the bytes are deterministic.
 */
export function sessionStartEvent(event: HparamsEvent, step: number): Uint8Array {
  const flat: Record<string, unknown> = {};
  flattenHparams(event.hparams, '', flat);
  const hparams: Record<string, unknown> = {};
  for (const key of Object.keys(flat).sort()) hparams[key] = protobufValue(flat[key]);
  const content = {
    version: HPARAMS_VERSION,
    sessionStartInfo: { hparams, startTimeSecs: set(event.timeMs / 1000) },
  };
  return hparamsEvent(event.timeMs, step, SESSION_START_INFO_TAG, content);
}

/** The hparams plugin's session end, with the run's status. */
export function sessionEndEvent(timeMs: number, step: number, status: RunStatus): Uint8Array {
  const content = {
    version: HPARAMS_VERSION,
    sessionEndInfo: { status: SESSION_STATUS[status], endTimeSecs: set(timeMs / 1000) },
  };
  return hparamsEvent(timeMs, step, SESSION_END_INFO_TAG, content);
}

function hparamsEvent(timeMs: number, step: number, tag: string, content: object): Uint8Array {
  const { HParamsPluginData } = tensorboardTypes();
  const metadata = {
    pluginData: { pluginName: 'hparams', content: HParamsPluginData.encode(content).finish() },
  };
  return summaryEvent(timeMs, step, [{ tag, tensor: NULL_TENSOR, metadata }]);
}

function summaryEvent(timeMs: number, step: number, value: SummaryValue[]): Uint8Array {
  return encodeEvent({ wallTime: set(timeMs / 1000), step: set(step), summary: { value } });
}

function encodeEvent(event: object): Uint8Array {
  return tensorboardTypes().Event.encode(event).finish();
}

/**
 * `undefined` for +0, the proto3 default that writers leave out (protobufjs writes every field
 * that is present); -0 is not the default.
 */
function set(value: number): number | undefined {
  return value === 0 && !Object.is(value, -0) ? undefined : value;
}

function flattenHparams(
  values: Readonly<Record<string, unknown>>,
  prefix: string,
  out: Record<string, unknown>,
): void {
  for (const [name, value] of Object.entries(values)) {
    const key = prefix ? `${prefix}/${name}` : name;
    if (isMap(value)) flattenHparams(value, key, out);
    else out[key] = value;
  }
}

function isMap(value: unknown): value is Readonly<Record<string, unknown>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value)
  );
}

/** A `google.protobuf.Value` the hparams dashboard can show. */
function protobufValue(value: unknown): object {
  if (typeof value === 'number' && Number.isFinite(value)) return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (Array.isArray(value) || value === null) return { stringValue: JSON.stringify(value) };
  return { stringValue: String(value) };
}
