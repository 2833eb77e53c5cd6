/**
 * The delivery ledger's reports: the first loss at once, then at most one warning per interval
 * while losses go on, a line when delivery resumes, and the run's totals at the end.
 */
import { describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import { OtlpDeliveryLedger } from '../../../src/exporters/otlp/delivery-ledger.js';

function ledger() {
  const diagnostics = new CollectingDiagnostics();
  let now = 1_000_000;
  const deliveries = new OtlpDeliveryLedger({
    diagnostics,
    reportIntervalMillis: 10_000,
    now: () => now,
  });
  return {
    diagnostics,
    deliveries,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('OtlpDeliveryLedger', () => {
  it('warns about the first loss at once, naming the count, the reason and the export error', () => {
    const { diagnostics, deliveries } = ledger();
    deliveries.lost('logs', 'export_failed', 512, 'connect ECONNREFUSED 127.0.0.1:4318');
    expect(diagnostics.at('WARNING')).toEqual([
      'otlp: lost 512 log records (512 in failed exports); further losses are reported at most ' +
        'every 10 s (last export error: connect ECONNREFUSED 127.0.0.1:4318)',
    ]);
  });

  it('then says nothing until the interval has passed, and sums what it held back', () => {
    const { diagnostics, deliveries, advance } = ledger();
    deliveries.lost('logs', 'export_failed', 512, 'Request timed out');
    for (let i = 0; i < 100; i++) {
      advance(90);
      deliveries.lost('logs', 'queue_full', 10);
      deliveries.lost('traces', 'export_failed', 1, 'Request timed out');
    }
    expect(diagnostics.at('WARNING')).toHaveLength(1);
    advance(1_000);
    deliveries.lost('metrics', 'export_failed', 6, 'HTTP 503 Service Unavailable');
    expect(diagnostics.at('WARNING')).toHaveLength(2);
    expect(diagnostics.at('WARNING')[1]).toBe(
      'otlp: lost 1000 log records (1000 dropped by a full queue), 100 spans (100 in failed ' +
        'exports), 6 metric points (6 in failed exports) since the last report (last export ' +
        'error: HTTP 503 Service Unavailable)',
    );
  });

  it('says when delivery resumes, with the losses not yet reported', () => {
    const { diagnostics, deliveries, advance } = ledger();
    deliveries.lost('logs', 'export_failed', 512, 'connect ECONNREFUSED');
    advance(2_000);
    deliveries.lost('logs', 'export_failed', 100, 'connect ECONNREFUSED');
    advance(2_000);
    deliveries.delivered('logs', 512);
    expect(diagnostics.at('WARNING')[1]).toBe(
      'otlp: delivery resumed; lost since the last report: 100 log records (100 in failed ' +
        'exports) (last export error: connect ECONNREFUSED)',
    );
    // A later outage is reported at once again only after an interval.
    deliveries.delivered('logs', 512);
    expect(diagnostics.messages).toHaveLength(2);
  });

  it('reports queue drops while deliveries go on, once per interval', () => {
    const { diagnostics, deliveries, advance } = ledger();
    deliveries.lost('logs', 'queue_full', 3);
    deliveries.lost('logs', 'queue_full', 4);
    deliveries.delivered('logs', 512);
    expect(diagnostics.at('WARNING')).toHaveLength(1);
    advance(10_000);
    deliveries.delivered('logs', 512);
    expect(diagnostics.at('WARNING')[1]).toBe(
      'otlp: lost 4 log records (4 dropped by a full queue) since the last report',
    );
  });

  it('closes with the totals: a warning when anything was lost, else one info line', () => {
    const lossy = ledger();
    lossy.deliveries.delivered('logs', 1000);
    lossy.deliveries.delivered('metrics', 12);
    lossy.deliveries.lost('logs', 'queue_full', 5);
    lossy.deliveries.lost('traces', 'export_failed', 2, 'Request timed out');
    lossy.deliveries.close();
    lossy.deliveries.close();
    expect(lossy.diagnostics.at('WARNING').at(-1)).toBe(
      'otlp: over the run, lost 5 log records (5 dropped by a full queue), 2 spans (2 in failed ' +
        'exports); delivered 1000 log records, 0 spans, 12 metric points (last export error: ' +
        'Request timed out)',
    );
    expect(lossy.diagnostics.at('WARNING').filter((m) => m.includes('over the run'))).toHaveLength(
      1,
    );
    expect(lossy.deliveries.counts()).toEqual({
      logs: { delivered: 1000, queueFull: 5, exportFailed: 0 },
      traces: { delivered: 0, queueFull: 0, exportFailed: 2 },
      metrics: { delivered: 12, queueFull: 0, exportFailed: 0 },
    });

    const clean = ledger();
    clean.deliveries.delivered('logs', 7);
    clean.deliveries.close();
    expect(clean.diagnostics.messages).toEqual([
      {
        level: 'INFO',
        message: 'otlp: delivered everything: 7 log records, 0 spans, 0 metric points',
      },
    ]);
  });
});
