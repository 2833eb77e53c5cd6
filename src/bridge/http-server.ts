/**
 * The bridge's OTLP/HTTP receiver: `POST /v1/logs`, `/v1/metrics`, `/v1/traces` in binary
 * protobuf or JSON, optionally gzip-compressed, answered as the OTLP specification asks (an empty
 * Export*ServiceResponse in the request's encoding, a partial success when records were refused,
 * a google.rpc.Status with 4xx). Bad input of any kind gets a 4xx naming the problem; the server
 * keeps serving. `GET /health` answers without a token; `GET /stats` returns the counters.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import type { DiagnosticLogger } from '../diagnostics.js';
import type { Bridge, ExportOutcome } from './bridge.js';
import {
  decodeExportRequest,
  encodeExportResponse,
  encodeStatus,
  OtlpDecodeError,
  type OtlpFormat,
  type OtlpSignal,
} from './otlp-codec.js';
import { logsOf, metricsOf, spansOf } from './otlp-model.js';

export const DEFAULT_BRIDGE_PORT = 4319;
/** The Collector's own default limit for OTLP/HTTP request bodies. */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface BridgeServerOptions {
  /** Interface to listen on. Default 127.0.0.1; bind wider (0.0.0.0 in a container) with a token. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 4319 (beside OTLP's 4317 and 4318). */
  readonly port?: number;
  /** When set, every request but `/health` must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest request body accepted, compressed and decompressed, in bytes. Default 20 MiB. */
  readonly maxBodyBytes?: number;
  /** Where refused requests are reported (never with the token or the body). */
  readonly diagnostics: DiagnosticLogger;
}

export interface BridgeServer {
  /** `http://host:port`, the base URL to give an OTLP/HTTP exporter. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests and waits for those under way. The bridge itself is not shut down. */
  close(): Promise<void>;
}

const ROUTES: ReadonlyMap<string, OtlpSignal> = new Map([
  ['/v1/logs', 'logs'],
  ['/v1/metrics', 'metrics'],
  ['/v1/traces', 'traces'],
]);
const FORMATS: ReadonlyMap<string, OtlpFormat> = new Map([
  ['application/x-protobuf', 'protobuf'],
  ['application/protobuf', 'protobuf'],
  ['application/json', 'json'],
]);
const CONTENT_TYPE: Record<OtlpFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};
/** google.rpc.Code values for error bodies. */
const RpcCode = { invalidArgument: 3, unauthenticated: 16, internal: 13, unavailable: 14 };

/** A request refused with an HTTP status; `message` goes to the client. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function startBridgeServer(
  bridge: Bridge,
  options: BridgeServerOptions,
): Promise<BridgeServer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tokenDigest = options.token ? digest(options.token) : undefined;
  let closing = false;

  const authorized = (request: IncomingMessage): boolean => {
    if (!tokenDigest) return true;
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    // Digests have one length whatever the token's, so the comparison takes constant time.
    return match !== null && timingSafeEqual(digest(match[1]!.trim()), tokenDigest);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method === 'GET' && path === '/health') {
      return sendJson(response, closing ? 503 : 200, { status: closing ? 'stopping' : 'ok' });
    }
    if (!authorized(request)) {
      throw new HttpError(401, 'a valid bearer token is required', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    if (request.method === 'GET' && path === '/stats') return sendJson(response, 200, bridge.stats);
    const signal = ROUTES.get(path);
    if (!signal)
      throw new HttpError(404, `no such endpoint '${path}'; use ${[...ROUTES.keys()].join(', ')}`);
    if (request.method !== 'POST') {
      throw new HttpError(405, `${path} takes POST, not ${request.method}`, { Allow: 'POST' });
    }
    if (closing) throw new HttpError(503, 'the bridge is shutting down', { 'Retry-After': '5' });
    const format = formatOf(request.headers['content-type']);
    const body = await readBody(request, maxBodyBytes);
    let decoded: Record<string, unknown>;
    try {
      decoded = decodeExportRequest(signal, body, format);
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw new HttpError(400, error.message);
      throw error;
    }
    const outcome: ExportOutcome =
      signal === 'logs'
        ? bridge.exportLogs(logsOf(decoded))
        : signal === 'metrics'
          ? bridge.exportMetrics(metricsOf(decoded))
          : bridge.exportTraces(spansOf(decoded));
    response.writeHead(200, { 'Content-Type': CONTENT_TYPE[format] });
    response.end(encodeExportResponse(signal, format, outcome.rejected, outcome.errorMessage));
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const http =
        error instanceof HttpError
          ? error
          : new HttpError(500, `the bridge failed on this request: ${String(error)}`);
      if (http.status >= 500) options.diagnostics.error(`bridge: ${http.message}`);
      else options.diagnostics.debug(`bridge: ${request.method} ${request.url}: ${http.message}`);
      sendError(request, response, http);
    });
  });
  // Slow or stalled clients must not hold connections for ever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_BRIDGE_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

function formatOf(contentType: string | undefined): OtlpFormat {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const format = FORMATS.get(mediaType);
  if (format) return format;
  throw new HttpError(
    415,
    `Content-Type '${mediaType || 'none'}' is not OTLP; use application/x-protobuf or application/json`,
  );
}

/** The body, decompressed; 413 past `limit` bytes (before and after decompression). */
async function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new HttpError(415, `Content-Encoding '${encoding}' is not supported; use gzip or none`);
  }
  const tooLarge = () =>
    new HttpError(413, `the request body exceeds the bridge's limit of ${limit} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped: the response closes the connection.
      if (size > limit) reject(tooLarge());
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
  if (encoding === 'identity') return raw;
  return new Promise((resolve, reject) => {
    gunzip(raw, { maxOutputLength: limit }, (error, result) => {
      if (!error) resolve(result);
      else if (error instanceof RangeError) reject(tooLarge());
      else reject(new HttpError(400, `the gzip body does not decompress: ${error.message}`));
    });
  });
}

function sendError(request: IncomingMessage, response: ServerResponse, error: HttpError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  let format: OtlpFormat = 'json';
  try {
    format = formatOf(request.headers['content-type']);
  } catch {
    // An unknown content type is answered in JSON.
  }
  const code =
    error.status === 401
      ? RpcCode.unauthenticated
      : error.status === 503
        ? RpcCode.unavailable
        : error.status >= 500
          ? RpcCode.internal
          : RpcCode.invalidArgument;
  // The rest of a refused body is not read: close the connection rather than drain it.
  const closeAfter = !request.complete;
  response.writeHead(error.status, {
    'Content-Type': CONTENT_TYPE[format],
    ...error.headers,
    ...(closeAfter ? { Connection: 'close' } : {}),
  });
  response.end(encodeStatus(format, code, error.message));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
