/**
 * A backend that records what the bridge hands it, for tests of the bridge itself (the real
 * backends, TensorBoard and W&B, are checked end to end with their own readers). It sits behind
 * the same training-event processor as every step-aware backend.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { RunIdentity } from '../../src/events/run-identity.js';
import type { TelemetryBackend } from '../../src/exporters/backend.js';
import type { BackendContext } from '../../src/loggers/telemetry-logger.js';

export interface RecordedRun {
  readonly identity: RunIdentity;
  readonly records: ReadableLogRecord[];
  shutdowns: number;
}

export class RecordingBackends {
  readonly runs: RecordedRun[] = [];

  /** `Bridge`'s `createBackends`. */
  readonly create = (context: BackendContext): TelemetryBackend[] => {
    const run: RecordedRun = { identity: context.identity, records: [], shutdowns: 0 };
    this.runs.push(run);
    const exporter: LogRecordExporter = {
      export(records: ReadableLogRecord[], done: (result: ExportResult) => void) {
        run.records.push(...records);
        done({ code: ExportResultCode.SUCCESS });
      },
      forceFlush: async () => {},
      shutdown: async () => {
        run.shutdowns++;
      },
    };
    return [{ name: 'recording', eventExporters: [exporter] }];
  };

  /** Every record of every run of rank `rank`, in arrival order. */
  recordsOf(rank: number): ReadableLogRecord[] {
    return this.runs.filter((r) => r.identity.rank === rank).flatMap((r) => r.records);
  }
}
