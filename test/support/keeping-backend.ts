/**
 * A backend that keeps every span and log record it is given, through shutdown (the SDK's
 * in-memory exporters forget theirs then): for child processes that print all their run produced.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { TelemetryBackend } from '../../src/exporters/backend.js';

function keeper<T>(into: T[]) {
  return {
    export(items: T[], done: (result: { code: ExportResultCode }) => void) {
      into.push(...items);
      done({ code: ExportResultCode.SUCCESS });
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

/** The spans and log records kept, and a fresh backend that adds to them each time it is called. */
export function keepingBackend(): {
  spans: ReadableSpan[];
  logs: ReadableLogRecord[];
  backend: () => TelemetryBackend;
} {
  const spans: ReadableSpan[] = [];
  const logs: ReadableLogRecord[] = [];
  return {
    spans,
    logs,
    backend: () => ({
      name: 'capture',
      spanProcessors: [new SimpleSpanProcessor({ exporter: keeper(spans) })],
      logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: keeper(logs) })],
    }),
  };
}
