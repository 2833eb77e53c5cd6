/**
 * OTLP/HTTP bodies <-> plain objects, for both encodings the specification allows: binary protobuf
 * and OTLP's JSON mapping. Both decode to the same shape (`Wire*` in otlp-model.ts): camelCase
 * keys, 64-bit integers as decimal strings, enums as numbers, bytes as Uint8Array, only the fields
 * that were set. JSON's own quirks are handled here: trace and span ids are hex (not base64),
 * 64-bit integers may be strings or numbers, enums are numbers, unknown keys are ignored.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export type OtlpSignal = 'logs' | 'metrics' | 'traces';
export type OtlpFormat = 'protobuf' | 'json';

/** A body that is not a valid export request; `message` names what is wrong, for a 400. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp.proto', import.meta.url)));
const requestTypes: Record<OtlpSignal, protobuf.Type> = {
  logs: root.lookupType('opentelemetry.proto.ExportLogsServiceRequest'),
  metrics: root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest'),
  traces: root.lookupType('opentelemetry.proto.ExportTraceServiceRequest'),
};
const responseType = root.lookupType('opentelemetry.proto.ExportServiceResponse');
const statusType = root.lookupType('opentelemetry.proto.Status');

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  oneofs: true,
  defaults: false,
  arrays: true,
};

/** The keys under which OTLP JSON carries ids as hex; they appear nowhere else in a request. */
const HEX_ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** Decodes an export request of `signal`; throws OtlpDecodeError naming the problem. */
export function decodeExportRequest(
  signal: OtlpSignal,
  body: Uint8Array,
  format: OtlpFormat,
): Record<string, unknown> {
  const type = requestTypes[signal];
  if (format === 'protobuf') {
    let message: protobuf.Message;
    try {
      message = type.decode(body);
    } catch (error) {
      throw new OtlpDecodeError(`malformed protobuf ${type.name}: ${messageOf(error)}`);
    }
    return type.toObject(message, TO_OBJECT);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw new OtlpDecodeError(`malformed JSON ${type.name}: ${messageOf(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OtlpDecodeError(`malformed JSON ${type.name}: expected an object at the top level`);
  }
  try {
    return type.toObject(type.fromObject(hexIdsToBytes(parsed, '') as object), TO_OBJECT);
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    // protobufjs names the field: ".opentelemetry.proto.ResourceLogs.scopeLogs: array expected".
    throw new OtlpDecodeError(`malformed JSON ${type.name}: ${messageOf(error)}`);
  }
}

/** The body of a successful export response: empty, or a partial success with rejections. */
export function encodeExportResponse(
  signal: OtlpSignal,
  format: OtlpFormat,
  rejected = 0,
  errorMessage = '',
): Uint8Array {
  if (rejected === 0 && errorMessage === '') {
    return format === 'json' ? Buffer.from('{}') : new Uint8Array(0);
  }
  if (format === 'json') {
    const key = {
      logs: 'rejectedLogRecords',
      metrics: 'rejectedDataPoints',
      traces: 'rejectedSpans',
    };
    return Buffer.from(
      JSON.stringify({ partialSuccess: { [key[signal]]: String(rejected), errorMessage } }),
    );
  }
  const message = responseType.fromObject({ partialSuccess: { rejected, errorMessage } });
  return responseType.encode(message).finish();
}

/** The body of an error response: a google.rpc.Status, in the request's encoding. */
export function encodeStatus(format: OtlpFormat, code: number, message: string): Uint8Array {
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return statusType.encode(statusType.fromObject({ code, message })).finish();
}

/** A copy of `value` with every hex id (`traceId`, `spanId`, `parentSpanId`) turned into bytes. */
function hexIdsToBytes(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => hexIdsToBytes(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    out[key] =
      HEX_ID_KEYS.has(key) && typeof item === 'string'
        ? hexToBytes(item, at)
        : hexIdsToBytes(item, at);
  }
  return out;
}

function hexToBytes(hex: string, path: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new OtlpDecodeError(`${path}: '${hex.slice(0, 40)}' is not a hex id`);
  }
  return Buffer.from(hex, 'hex');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
