/**
 * (1) The cost of `logMetrics` with a 10-scalar row, on the calling thread: each backend alone
 * and all together, synchronous and through AsyncLogger, against ten raw OTel `gauge.record`
 * calls (hand-written instrumentation, the floor) and ten prom-client `Gauge.set` calls.
 *
 * Two columns per configuration (see BENCHMARKS.md): the call path, time inside the calls,
 * timed in batches of 100 with the event loop turning between batches outside the timed region
 * so that deferred work runs untimed; and the total, wall time of the whole loop and the final
 * flush per row, which includes the deferred work (encoding, writing, exporting).
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { Gauge, Registry } from 'prom-client';
import { ALL_BACKENDS, type Backend, createBenchLogger, ROW_KEYS, row } from '../loggers.js';
import type { Figure, Target } from '../report.js';
import { median } from '../stats.js';
import {
  collectGarbage,
  type RowTiming,
  repeatInterleaved,
  type Trial,
  timeRows,
} from '../timing.js';
import type { SuiteContext, SuiteResult } from './suite.js';

const BATCH = 100;
const FLOOR = 'OTel gauge.record x10';
/** Through AsyncLogger: at most 2x the floor. */
const ASYNC_TARGET: Target = { on: 'ratio', op: '<=', limit: 2 };
/** Synchronous with all backends: at most 4x the floor. */
const SYNC_ALL_TARGET: Target = { on: 'ratio', op: '<=', limit: 4 };

/** Something measured: a call per row, and a flush that waits for what the calls caused. */
interface Subject {
  readonly call: (i: number) => void;
  readonly flush: () => Promise<void>;
  readonly close: () => Promise<void>;
  readonly warnings: () => readonly string[];
}

interface Configuration {
  readonly name: string;
  readonly label: string;
  readonly backends: readonly Backend[];
  readonly async: boolean;
}

export async function callPathSuite(context: SuiteContext): Promise<SuiteResult> {
  const rows = context.quick ? 5_000 : 20_000;
  const configurations: Configuration[] = [];
  for (const async of [false, true]) {
    for (const backends of [...ALL_BACKENDS.map((b) => [b]), ALL_BACKENDS]) {
      const which = backends.length > 1 ? 'all backends' : backends[0]!;
      configurations.push({
        name: `${backends.join('+')}${async ? ':async' : ''}`,
        label: `${which}, ${async ? 'AsyncLogger' : 'sync'}`,
        backends,
        async,
      });
    }
  }
  const warnings: string[] = [];
  const trial = (name: string, make: () => Subject): Trial<RowTiming> => ({
    name,
    run: async (warmUp) => {
      const subject = make();
      try {
        return await timeRows({
          rows: warmUp ? rows / 4 : rows,
          batch: BATCH,
          call: subject.call,
          flush: subject.flush,
        });
      } finally {
        await subject.close();
        warnings.push(...subject.warnings());
      }
    },
  });
  const trials = [
    trial('otel', () => otelFloor(context.peers.otlpEndpoint)),
    trial('prom-client', promClient),
    ...configurations.map((c) =>
      trial(c.name, () => {
        // The ring holds a whole run: a full ring drops calls, and a dropped call costs less.
        const { logger, diagnostics } = createBenchLogger(c.backends, context.places, {
          async: c.async,
          bufferSize: rows,
        });
        return {
          call: (i) => logger.logMetrics(row(i), i),
          flush: () => logger.flush(),
          close: () => logger.finish(),
          warnings: () => diagnostics.at('WARNING').concat(diagnostics.at('ERROR')),
        };
      }),
    ),
  ];
  const results = await repeatInterleaved(trials, {
    repeats: context.repeats,
    before: collectGarbage,
    progress: (name, round) => context.log(`call path: ${name} (round ${round})`),
  });
  const callNs = (name: string) => results.get(name)!.map((r) => r.callNs);
  const totalNs = (name: string) => results.get(name)!.map((r) => r.totalNs);
  const floorCall = { label: FLOOR, value: median(callNs('otel')) };
  const floorTotal = { label: FLOOR, value: median(totalNs('otel')) };
  const figure = (
    id: string,
    label: string,
    runs: number[],
    baseline: typeof floorCall,
    target?: Target,
  ): Figure => ({
    section: 1,
    id,
    label,
    value: median(runs),
    unit: 'ns',
    runs,
    baseline,
    ...(target ? { target } : {}),
  });
  const figures: Figure[] = [
    figure(
      'call.prom-client',
      'call path, prom-client Gauge.set x10',
      callNs('prom-client'),
      floorCall,
    ),
  ];
  for (const c of configurations) {
    const target = c.async
      ? ASYNC_TARGET
      : c.backends.length === ALL_BACKENDS.length
        ? SYNC_ALL_TARGET
        : undefined;
    figures.push(
      figure(`call.${c.name}`, `call path, ${c.label}`, callNs(c.name), floorCall, target),
    );
  }
  figures.push(
    figure(
      'total.prom-client',
      'total, prom-client Gauge.set x10',
      totalNs('prom-client'),
      floorTotal,
    ),
  );
  for (const c of configurations) {
    figures.push(figure(`total.${c.name}`, `total, ${c.label}`, totalNs(c.name), floorTotal));
  }
  return {
    figures,
    warnings,
    details: { rows, batch: BATCH, floorCallRuns: callNs('otel'), floorTotalRuns: totalNs('otel') },
  };
}

/** Hand-written OTel instrumentation: one reader, ten sync gauges, one `record` per value. */
function otelFloor(endpoint: string): Subject {
  const provider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const meter = provider.getMeter('bench');
  const gauges = ROW_KEYS.map((key) => meter.createGauge(key));
  return {
    call: (i) => {
      const values = row(i);
      for (let k = 0; k < ROW_KEYS.length; k++) gauges[k]!.record(values[ROW_KEYS[k]!]);
    },
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
    warnings: () => [],
  };
}

/** prom-client: ten gauges in a registry, one `set` per value; the flush is one scrape. */
function promClient(): Subject {
  const registry = new Registry();
  const gauges = ROW_KEYS.map(
    (key) => new Gauge({ name: key.replace(/\W/g, '_'), help: key, registers: [registry] }),
  );
  return {
    call: (i) => {
      const values = row(i);
      for (let k = 0; k < ROW_KEYS.length; k++) gauges[k]!.set(values[ROW_KEYS[k]!]);
    },
    flush: async () => {
      await registry.metrics();
    },
    close: async () => registry.clear(),
    warnings: () => [],
  };
}
