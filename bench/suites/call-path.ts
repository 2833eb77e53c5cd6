/**
 * (1) The cost of `logMetrics` with a 10-scalar row, on the calling thread: each backend alone
 * and all together, synchronous and through AsyncLogger, against ten raw OTel `gauge.record`
 * calls (hand-written instrumentation, the floor) and ten prom-client `Gauge.set` calls. All
 * backends once more inside an application with an OTel SDK of its own (a started `NodeSDK`
 * exporting OTLP, found by the logger): its meter gets the instruments and its logger provider
 * the row events, and what its processors cost on the calling thread is in those rows.
 *
 * Three columns per configuration (see BENCHMARKS.md): the call path, time inside the calls,
 * timed in batches of 100 with the event loop turning between batches outside the timed region
 * so that deferred work runs untimed; the total, wall time of the whole loop and the final
 * flush per row, which includes the deferred work (encoding, writing, exporting); and the main
 * thread's CPU time over the same span per row, which is what logging takes from training when
 * an AsyncLogger's backends run in its worker (their work is off the main thread; waiting for
 * them is not CPU time).
 */
import { readFileSync } from 'node:fs';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
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
/**
 * Through AsyncLogger, the main thread's CPU per row: at most 2x the floor for one backend, 1x
 * for all four. (Its call path is wall time: with the ring at its default 1000 and 100 rows a
 * turn, far faster than the worker writes them, it includes waiting for room.)
 */
const ASYNC_TARGET: Target = { on: 'ratio', op: '<=', limit: 2 };
/** Synchronous with all backends: at most 4x the floor. */
const SYNC_ALL_TARGET: Target = { on: 'ratio', op: '<=', limit: 4 };
/** Synchronous with all backends, inside an app's NodeSDK: at most 2.5x the floor. */
const APP_SDK_TARGET: Target = { on: 'ratio', op: '<=', limit: 2.5 };
/** The main thread's CPU per row, all backends through AsyncLogger: at most the floor's. */
const ASYNC_CPU_TARGET: Target = { on: 'ratio', op: '<=', limit: 1 };
/** Rows dropped or lost by AsyncLogger, with its default ring of 1000: none. */
const NO_DROPS_TARGET: Target = { on: 'value', op: '<=', limit: 0 };

/** What one run of a configuration measured. */
interface RunTiming extends RowTiming {
  /** The main thread's CPU time over the loop and the final flush, per row. */
  readonly cpuNs: number;
  /** Rows an AsyncLogger dropped or lost. */
  readonly dropped: number;
}

/**
 * The calling thread's own CPU time in ns (Linux: its scheduler statistics); elsewhere the
 * process's, which counts every thread and so overstates a worker's caller.
 */
function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) * 1000;
  }
}

/** Something measured: a call per row, and a flush that waits for what the calls caused. */
interface Subject {
  readonly call: (i: number) => void;
  readonly flush: () => Promise<void>;
  readonly close: () => Promise<void>;
  readonly warnings: () => readonly string[];
  /** Rows dropped or lost, once closed. */
  readonly dropped?: () => number;
}

interface Configuration {
  readonly name: string;
  readonly label: string;
  readonly backends: readonly Backend[];
  readonly async: boolean;
  /** Inside an application whose own OTel SDK is started first. */
  readonly appSdk?: boolean;
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
  for (const async of [false, true]) {
    configurations.push({
      name: `${ALL_BACKENDS.join('+')}${async ? ':async' : ''}:app-sdk`,
      label: `all backends, ${async ? 'AsyncLogger' : 'sync'}, app NodeSDK`,
      backends: ALL_BACKENDS,
      async,
      appSdk: true,
    });
  }
  const warnings: string[] = [];
  const trial = (name: string, make: () => Subject): Trial<RunTiming> => ({
    name,
    run: async (warmUp) => {
      const subject = make();
      const count = warmUp ? rows / 4 : rows;
      let timing: RowTiming;
      let cpuNs: number;
      try {
        const cpuStart = threadCpuNs();
        timing = await timeRows({
          rows: count,
          batch: BATCH,
          call: subject.call,
          flush: subject.flush,
        });
        cpuNs = (threadCpuNs() - cpuStart) / count;
      } finally {
        await subject.close();
        warnings.push(...subject.warnings());
      }
      return { ...timing, cpuNs, dropped: subject.dropped?.() ?? 0 };
    },
  });
  const trials = [
    trial('otel', () => otelFloor(context.peers.otlpEndpoint)),
    trial('prom-client', promClient),
    ...configurations.map((c) =>
      trial(c.name, () => {
        const app = c.appSdk ? startAppSdk(context.peers.otlpEndpoint, rows) : undefined;
        // The ring at its default (1000 rows): a full one makes the caller wait, never drop.
        const { logger, diagnostics, dropped } = createBenchLogger(c.backends, context.places, {
          async: c.async,
        });
        return {
          call: (i) => logger.logMetrics(row(i), i),
          flush: () => logger.flush(),
          close: async () => {
            await logger.finish();
            await app?.();
          },
          warnings: () => diagnostics.at('WARNING').concat(diagnostics.at('ERROR')),
          dropped,
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
      ? undefined
      : c.appSdk
        ? APP_SDK_TARGET
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
  const cpuNs = (name: string) => results.get(name)!.map((r) => r.cpuNs);
  const floorCpu = { label: FLOOR, value: median(cpuNs('otel')) };
  for (const c of configurations) {
    const target =
      c.async && !c.appSdk
        ? c.backends.length === ALL_BACKENDS.length
          ? ASYNC_CPU_TARGET
          : ASYNC_TARGET
        : undefined;
    figures.push(
      figure(`cpu.${c.name}`, `main-thread CPU, ${c.label}`, cpuNs(c.name), floorCpu, target),
    );
  }
  // Every run of every AsyncLogger configuration: the rows it dropped or lost, as a share.
  const asyncRuns = configurations.filter((c) => c.async).flatMap((c) => results.get(c.name)!);
  const droppedShares = asyncRuns.map((r) => (r.dropped / rows) * 100);
  figures.push({
    section: 1,
    id: 'async.dropped',
    label: 'rows dropped or lost, every AsyncLogger run (ring of 1000)',
    value: Math.max(0, ...droppedShares),
    unit: 'percent',
    runs: droppedShares,
    target: NO_DROPS_TARGET,
  });
  figures.push(await cyclicRow(context));
  return {
    figures,
    warnings,
    details: {
      rows,
      batch: BATCH,
      floorCallRuns: callNs('otel'),
      floorTotalRuns: totalNs('otel'),
      floorCpuRuns: cpuNs('otel'),
      droppedByConfiguration: Object.fromEntries(
        configurations
          .filter((c) => c.async)
          .map((c) => [c.name, results.get(c.name)!.map((r) => r.dropped)]),
      ),
    },
  };
}

/**
 * A hostile row: ten scalars and a key that refers back to the row. Only that key is dropped (one
 * warning), and reading the row stays linear in its size: at most 1 ms a row (it was 350 ms when
 * the cycle was followed until the stack overflowed).
 */
async function cyclicRow(context: SuiteContext): Promise<Figure> {
  const runs: number[] = [];
  for (let r = 0; r < context.repeats; r++) {
    const { logger } = createBenchLogger(['console', 'tensorboard'], context.places);
    const count = 1000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const cyclic: Record<string, unknown> = { ...row(i) };
      cyclic.self = cyclic;
      logger.logMetrics(cyclic, i);
    }
    runs.push(Number(process.hrtime.bigint() - start) / count);
    await logger.finish();
  }
  return {
    section: 1,
    id: 'call.cyclic-row',
    label: 'call path, a cyclic 10-scalar row, sync',
    value: median(runs),
    unit: 'ns',
    runs,
    target: { on: 'value', op: '<=', limit: 1_000_000 },
  };
}

/**
 * An application's own OTel SDK, started before the logger: OTLP exporters behind the SDK's batch
 * processors, the log queue sized to hold a whole run (so that its drops do not flatter the
 * figure). Returns its shutdown, which also frees the globals for the next trial.
 */
function startAppSdk(endpoint: string, rows: number): () => Promise<void> {
  const sdk = new NodeSDK({
    serviceName: 'bench-app',
    spanProcessors: [
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) }),
    ],
    metricReaders: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
        exportIntervalMillis: 3_600_000,
      }),
    ],
    logRecordProcessors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }),
        maxQueueSize: rows + 1,
        maxExportBatchSize: 512,
      }),
    ],
    instrumentations: [],
  });
  sdk.start();
  return async () => {
    await sdk.shutdown();
    for (const api of [trace, metrics, logs, context, propagation]) api.disable();
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
