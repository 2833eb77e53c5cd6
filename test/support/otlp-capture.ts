/**
 * Captures the HTTP requests real OTLP exporters send (OTel JS, the Python SDK), so tests decode
 * the exact bytes those exporters produce. The capture answers each request with an empty OTLP
 * success in the request's encoding.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeExportRequest, type OtlpSignal } from '../../src/bridge/otlp-codec.js';

export interface CapturedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent (compressed when the exporter compressed it). */
  readonly raw: Buffer;
  /** The body decompressed. */
  readonly body: Buffer;
}

export interface Capture {
  readonly url: string;
  readonly requests: CapturedRequest[];
  close(): Promise<void>;
}

export function startCapture(): Promise<Capture> {
  const requests: CapturedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const gzip = request.headers['content-encoding'] === 'gzip';
      requests.push({
        path: request.url ?? '',
        headers: request.headers,
        raw,
        body: gzip ? gunzipSync(raw) : raw,
      });
      const json = request.headers['content-type']?.startsWith('application/json');
      response.writeHead(200, {
        'Content-Type': json ? 'application/json' : 'application/x-protobuf',
      });
      response.end(json ? '{}' : '');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

/** The captured requests of one signal (`/v1/<signal>`, or any path when `path` is given), decoded. */
export function decodedRequests(
  requests: readonly CapturedRequest[],
  signal: OtlpSignal,
  path = `/v1/${signal}`,
): Record<string, unknown>[] {
  return requests
    .filter((request) => request.path === path)
    .map((request) =>
      decodeExportRequest(
        signal,
        request.body,
        request.headers['content-type']?.startsWith('application/json') ? 'json' : 'protobuf',
      ),
    );
}
