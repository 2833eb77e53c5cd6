/**
 * The counted exporters against exporters that succeed, fail, throw or answer late, in any order
 * (fast-check): every export's callback is called exactly once with the inner exporter's result,
 * and every item is counted exactly once, as delivered or as lost. During a flush, the first
 * failure stops the sending: the batches after it are counted lost without reaching the exporter.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import { CountedLogRecordExporter } from '../../../src/exporters/otlp/counted-exporters.js';
import { OtlpDeliveryLedger } from '../../../src/exporters/otlp/delivery-ledger.js';

type Outcome = 'success' | 'failure' | 'throw' | 'late-success' | 'late-failure';

/** An exporter that answers each export as `outcomes` say, in turn. */
function scripted(outcomes: Outcome[]) {
  let calls = 0;
  const exported: number[] = [];
  return {
    exported,
    get calls() {
      return calls;
    },
    export(records: ReadableLogRecord[], done: (result: ExportResult) => void) {
      const outcome = outcomes[calls++ % outcomes.length]!;
      if (outcome === 'throw') throw new Error('exporter threw');
      const result: ExportResult = outcome.endsWith('success')
        ? { code: ExportResultCode.SUCCESS }
        : { code: ExportResultCode.FAILED, error: new Error('receiver said no') };
      if (result.code === ExportResultCode.SUCCESS) exported.push(records.length);
      if (outcome.startsWith('late')) setImmediate(() => done(result));
      else done(result);
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

const batch = (size: number) => Array.from({ length: size }) as ReadableLogRecord[];

describe('CountedLogRecordExporter', () => {
  it('calls back once per export and counts every item once, whatever the exporter does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.constantFrom<Outcome>('success', 'failure', 'throw', 'late-success', 'late-failure'),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.array(fc.nat(600), { minLength: 1, maxLength: 20 }),
        async (outcomes, sizes) => {
          const ledger = new OtlpDeliveryLedger({
            diagnostics: new CollectingDiagnostics(),
            reportIntervalMillis: 1000,
          });
          const inner = scripted(outcomes);
          const counted = new CountedLogRecordExporter(inner, { ledger });
          const callbacks = sizes.map(() => 0);
          const results = await Promise.all(
            sizes.map(
              (size, i) =>
                new Promise<ExportResultCode>((resolve) => {
                  counted.export(batch(size), (result) => {
                    callbacks[i]! += 1;
                    resolve(result.code);
                  });
                }),
            ),
          );
          // Late second calls would have come by now.
          await new Promise((resolve) => setImmediate(resolve));
          expect(callbacks.every((calls) => calls === 1)).toBe(true);
          const counts = ledger.counts().logs;
          const total = sizes.reduce((a, b) => a + b, 0);
          expect(counts.delivered + counts.exportFailed).toBe(total);
          expect(counts.delivered).toBe(inner.exported.reduce((a, b) => a + b, 0));
          const succeeded = results.filter((code) => code === ExportResultCode.SUCCESS).length;
          expect(succeeded).toBe(inner.exported.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('during a flush, sends nothing after the first failure and counts the rest as lost', async () => {
    const ledger = new OtlpDeliveryLedger({
      diagnostics: new CollectingDiagnostics(),
      reportIntervalMillis: 1000,
    });
    const inner = scripted(['success', 'failure', 'success']);
    const counted = new CountedLogRecordExporter(inner, { ledger });
    const send = (size: number) =>
      new Promise<ExportResultCode>((resolve) =>
        counted.export(batch(size), (r) => resolve(r.code)),
      );
    const codes = await counted.drain(async () => [
      await send(1),
      await send(2),
      await send(3),
      await send(4),
    ]);
    expect(codes).toEqual([
      ExportResultCode.SUCCESS,
      ExportResultCode.FAILED,
      ExportResultCode.FAILED,
      ExportResultCode.FAILED,
    ]);
    expect(inner.calls).toBe(2);
    expect(ledger.counts().logs).toEqual({ delivered: 1, queueFull: 0, exportFailed: 9 });
    // After the flush, exports go out again.
    expect(await send(5)).toBe(ExportResultCode.SUCCESS);
    expect(inner.calls).toBe(3);
  });
});
