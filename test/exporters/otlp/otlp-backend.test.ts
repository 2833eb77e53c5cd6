/**
 * The OTLP backend's delivery accounting against a receiver that decodes what the standard OTel
 * exporters send and can refuse (HTTP 400) or never answer: every log record, span and metric
 * point is either delivered or counted lost, and the counts equal what the receiver saw; full
 * queues are counted for logs and spans; a flush against a receiver that never answers costs
 * one export timeout, not one per queued batch; the losses reach the receiver as
 * `jepa.otlp.lost` once it takes data again.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeExportRequest, type OtlpSignal } from '../../../src/bridge/otlp-codec.js';
import { logsOf, metricsOf, spansOf } from '../../../src/bridge/otlp-model.js';
import { parseSection } from '../../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import { OtlpDeliveryLedger } from '../../../src/exporters/otlp/delivery-ledger.js';
import { otlpBackend } from '../../../src/exporters/otlp/otlp-backend.js';
import { TelemetryLogger } from '../../../src/loggers/telemetry-logger.js';

type Mode = 'accept' | 'refuse' | 'stall';

interface Received {
  readonly signal: OtlpSignal;
  readonly mode: Mode;
  /** Log records, spans or metric points in the request. */
  readonly items: number;
  readonly request: Record<string, unknown>;
}

/** An OTLP/HTTP receiver whose answer is set by `mode`; it decodes and counts every request. */
async function startReceiver() {
  const received: Received[] = [];
  const stalled = new Set<ServerResponse>();
  let mode: Mode = 'accept';
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const signal = (request.url ?? '').replace('/v1/', '') as OtlpSignal;
      const decoded = decodeExportRequest(signal, Buffer.concat(chunks), 'protobuf');
      received.push({ signal, mode, items: countItems(signal, decoded), request: decoded });
      if (mode === 'stall') stalled.add(response);
      else {
        response.writeHead(mode === 'accept' ? 200 : 400, {
          'Content-Type': 'application/x-protobuf',
        });
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    setMode: (next: Mode) => {
      mode = next;
    },
    /** Items of `signal` in requests answered with `answered`. */
    items: (signal: OtlpSignal, answered: Mode) =>
      received
        .filter((r) => r.signal === signal && r.mode === answered)
        .reduce((sum, r) => sum + r.items, 0),
    close: async () => {
      for (const response of stalled) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function countItems(signal: OtlpSignal, request: Record<string, unknown>): number {
  const groups =
    signal === 'logs'
      ? logsOf(request)
      : signal === 'traces'
        ? spansOf(request)
        : metricsOf(request);
  let count = 0;
  for (const group of groups) {
    for (const { items } of group.scopes) {
      for (const item of items as readonly unknown[]) {
        const metric = item as { kind?: string; points?: unknown[]; pointCount?: number };
        count += signal !== 'metrics' ? 1 : (metric.points?.length ?? metric.pointCount ?? 0);
      }
    }
  }
  return count;
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** A logger whose only backend is OTLP to `url`, counted by `ledger`. */
function otlpLogger(url: string, section: Record<string, unknown> = {}) {
  const diagnostics = new CollectingDiagnostics();
  const ledger = new OtlpDeliveryLedger({ diagnostics, reportIntervalMillis: 60_000 });
  const logger = new TelemetryLogger(
    {},
    (context) => [
      otlpBackend(parseSection('otlp', { endpoint: url, ...section }), {
        env: context.env,
        diagnostics,
        ledger,
      }),
    ],
    { diagnostics, env: {}, settings: { run_id: 'otlpunit', handle_signals: false } },
  );
  return { logger, ledger, diagnostics };
}

describe('delivery accounting', () => {
  it('counts as lost exactly what the receiver refused, as delivered what it took, per signal', async () => {
    receiver = await startReceiver();
    const { logger, ledger } = otlpLogger(receiver.url);
    receiver.setMode('refuse');
    for (let step = 0; step < 300; step++) logger.logMetrics({ loss: 1 / (step + 1) }, step);
    for (let i = 0; i < 5; i++) logger.run.tracer.startSpan(`refused-${i}`).end();
    await logger.flush();
    receiver.setMode('accept');
    for (let step = 300; step < 500; step++) logger.logMetrics({ loss: 1 / (step + 1) }, step);
    for (let i = 0; i < 7; i++) logger.run.tracer.startSpan(`taken-${i}`).end();
    await logger.finish();

    const counts = ledger.counts();
    for (const signal of ['logs', 'traces', 'metrics'] as const) {
      expect(counts[signal].exportFailed, signal).toBe(receiver.items(signal, 'refuse'));
      expect(counts[signal].delivered, signal).toBe(receiver.items(signal, 'accept'));
      expect(counts[signal].queueFull, signal).toBe(0);
    }
    // 500 rows and the run's end; 12 spans; the refused part is real.
    expect(counts.logs.exportFailed + counts.logs.delivered).toBe(501);
    expect(counts.logs.exportFailed).toBe(300);
    expect(counts.traces).toMatchObject({ exportFailed: 5, delivered: 7 });
    expect(counts.metrics.exportFailed).toBeGreaterThan(0);

    // The last metric request carries the losses as jepa.otlp.lost{signal, reason}.
    const last = receiver.received
      .filter((r) => r.signal === 'metrics' && r.mode === 'accept')
      .at(-1)!;
    const lost = metricsOf(last.request)
      .flatMap((g) => g.scopes.flatMap((s) => s.items))
      .find((m) => m.name === 'jepa.otlp.lost');
    expect(lost?.kind).toBe('number');
    const points = lost?.kind === 'number' ? lost.points : [];
    const value = (signal: string, reason: string) =>
      points.find((p) => p.attributes.signal === signal && p.attributes.reason === reason)?.value;
    expect(value('logs', 'export_failed')).toBe(300);
    expect(value('traces', 'export_failed')).toBe(5);
    expect(value('logs', 'queue_full')).toBe(0);
  });

  it('counts what full queues drop, for log records and spans, and accounts for every item', async () => {
    receiver = await startReceiver();
    receiver.setMode('stall');
    const { logger, ledger, diagnostics } = otlpLogger(receiver.url, {
      max_queue_size: 64,
      timeout: 1,
    });
    for (let step = 0; step < 1000; step++) logger.logMetrics({ loss: step }, step);
    for (let i = 0; i < 500; i++) logger.run.tracer.startSpan(`span-${i}`).end();
    await logger.finish();

    const counts = ledger.counts();
    const accounted = (signal: 'logs' | 'traces') =>
      counts[signal].delivered + counts[signal].queueFull + counts[signal].exportFailed;
    expect(accounted('logs')).toBe(1001);
    expect(accounted('traces')).toBe(500);
    // At most the queue and one batch in flight escape the drop.
    expect(counts.logs.queueFull).toBeGreaterThanOrEqual(1001 - 2 * 64);
    expect(counts.traces.queueFull).toBeGreaterThanOrEqual(500 - 2 * 64);
    expect(counts.logs.delivered + counts.traces.delivered).toBe(0);
    expect(diagnostics.at('WARNING').join('\n')).toMatch(
      /otlp: over the run, lost 1001 log records \(\d+ dropped by a full queue, \d+ in failed exports\), 500 spans/,
    );
  });
});

describe('flushing against a receiver that never answers', () => {
  it('costs one export timeout, not one per queued batch, and counts the rest as lost', async () => {
    receiver = await startReceiver();
    receiver.setMode('stall');
    const { logger, ledger } = otlpLogger(receiver.url, { timeout: 1 });
    const rows = 40 * 512;
    for (let step = 0; step < rows; step++) logger.logMetrics({ loss: step }, step);
    const started = Date.now();
    await logger.flush();
    const flushMs = Date.now() - started;
    // Batch by batch, the queue (16,384 records, 32 batches) would take 32 timeouts of 1 s.
    expect(flushMs).toBeLessThan(10_000);
    const afterFlush = ledger.counts().logs;
    expect(afterFlush.queueFull + afterFlush.exportFailed).toBe(rows);
    // The queue holds 16,384 records; the batch in flight had left it.
    expect(afterFlush.queueFull).toBe(rows - 16_384 - 512);
    // Only the export in flight and the flush's first reached the receiver.
    expect(receiver.received.filter((r) => r.signal === 'logs').length).toBeLessThanOrEqual(3);

    const finishing = Date.now();
    await logger.finish();
    expect(Date.now() - finishing).toBeLessThan(10_000);
  });
});

describe('OTEL_METRIC_EXPORT_INTERVAL', () => {
  it.each(['3e9', '-1', '0.5'])(
    '%s, outside the range Node can schedule, is ignored with a warning',
    async (value) => {
      receiver = await startReceiver();
      const url = receiver.url;
      const overflows: Error[] = [];
      const onWarning = (warning: Error) => {
        if (warning.name === 'TimeoutOverflowWarning') overflows.push(warning);
      };
      process.on('warning', onWarning);
      const diagnostics = new CollectingDiagnostics();
      try {
        const logger = new TelemetryLogger(
          {},
          (context) => [
            otlpBackend(parseSection('otlp', { endpoint: url }), { env: context.env, diagnostics }),
          ],
          {
            diagnostics,
            env: { OTEL_METRIC_EXPORT_INTERVAL: value },
            settings: { handle_signals: false },
          },
        );
        logger.logMetrics({ loss: 1 }, 0);
        await logger.finish();
      } finally {
        process.off('warning', onWarning);
      }
      expect(diagnostics.at('WARNING')).toContain(
        `otlp: OTEL_METRIC_EXPORT_INTERVAL="${value}" ignored: expected milliseconds from 10 to 86400000 (a day); exporting every 10 s`,
      );
      expect(overflows).toEqual([]);
    },
  );
});
