/**
 * The real pipeline on 127.0.0.1 for end-to-end tests: our Collector build running the committed
 * otel-collector.yaml (ports templated, traces to a file instead of Jaeger, logs also to a file
 * so tests can see what the training processes sent), Prometheus 2.x running the committed
 * collector/prometheus.yml (target and interval templated), and `jepa-loggers bridge`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { buildCollector } from '../../scripts/build-collector.mjs';
import { repoRoot } from '../../scripts/test-env.mjs';
import type { BridgeStats } from '../../src/bridge/bridge.js';
import { requireDist } from '../support/dist.js';
import {
  freePort,
  type ManagedProcess,
  startProcess,
  stopAll,
  waitForHttp,
} from '../support/processes.js';

export const PROMETHEUS = '/usr/bin/prometheus';
const CLI = join(repoRoot, 'dist/cli/main.js');
/**
 * Fine enough for the demo, whose training takes seconds: several samples per series while it
 * runs. Grafana's `$__rate_interval` is at least four scrapes.
 */
export const SCRAPE_INTERVAL_MS = 250;

export interface PipelineOptions {
  /** The bridge's logging configuration (backends and sections). */
  readonly bridgeConfig: Record<string, unknown>;
  /** Start Prometheus too. */
  readonly prometheus: boolean;
}

export interface Pipeline {
  readonly dir: string;
  /** Base URL for OTLP/HTTP exporters (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly otlpHttp: string;
  readonly bridgeUrl: string;
  readonly prometheusUrl: string;
  /** What the Collector's file exporters wrote: OTLP JSON, one request per line. */
  readonly tracesFile: string;
  readonly logsFile: string;
  readonly bridgeToken: string;
  readonly processes: {
    collector: ManagedProcess;
    bridge: ManagedProcess;
    prometheus?: ManagedProcess;
  };
  /** Stops the bridge (SIGTERM: it flushes every run), leaving the rest running. */
  stopBridge(): Promise<number | null>;
  stop(): Promise<void>;
}

/** Runs `jepa-loggers <args>`, the compiled package (`npm test` builds it first). */
export function startCli(
  name: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ManagedProcess {
  requireDist();
  return startProcess(name, process.execPath, [CLI, ...args], options);
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  if (options.prometheus && !existsSync(PROMETHEUS)) {
    throw new Error(`${PROMETHEUS} is missing: run node scripts/setup-test-env.mjs`);
  }
  const collectorBinary = buildCollector();
  const dir = mkdtempSync(join(tmpdir(), 'jepa-pipeline-'));
  const grpc = await freePort();
  const http = await freePort();
  const metrics = await freePort();
  const health = await freePort();
  const bridgePort = await freePort();
  const prometheusPort = await freePort();
  const bridgeToken = `token-${Math.random().toString(36).slice(2)}`;
  const tracesFile = join(dir, 'traces.jsonl');
  const logsFile = join(dir, 'logs.jsonl');
  const started: ManagedProcess[] = [];
  try {
    writeFileSync(join(dir, 'bridge.yaml'), stringify(options.bridgeConfig));
    const bridge = startCli(
      'bridge',
      ['bridge', '--port', String(bridgePort), '--config', join(dir, 'bridge.yaml')],
      { env: { JEPA_BRIDGE_TOKEN: bridgeToken }, cwd: dir },
    );
    started.push(bridge);

    writeFileSync(
      join(dir, 'collector.yaml'),
      stringify(collectorConfig({ grpc, http, metrics, health, tracesFile, logsFile })),
    );
    const collector = startProcess(
      'collector',
      collectorBinary,
      ['--config', join(dir, 'collector.yaml')],
      {
        env: {
          JEPA_BRIDGE_ENDPOINT: `http://127.0.0.1:${bridgePort}`,
          JEPA_BRIDGE_TOKEN: bridgeToken,
        },
      },
    );
    started.push(collector);

    let prometheus: ManagedProcess | undefined;
    if (options.prometheus) {
      writeFileSync(join(dir, 'prometheus.yml'), stringify(prometheusConfig(metrics)));
      prometheus = startProcess('prometheus', PROMETHEUS, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ]);
      started.push(prometheus);
    }

    await Promise.all([
      waitForHttp(`http://127.0.0.1:${bridgePort}/health`, { process: bridge, timeoutMs: 60_000 }),
      waitForHttp(`http://127.0.0.1:${health}/`, { process: collector }),
      ...(prometheus
        ? [waitForHttp(`http://127.0.0.1:${prometheusPort}/-/ready`, { process: prometheus })]
        : []),
    ]);
    return {
      dir,
      otlpHttp: `http://127.0.0.1:${http}`,
      bridgeUrl: `http://127.0.0.1:${bridgePort}`,
      prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
      tracesFile,
      logsFile,
      bridgeToken,
      processes: { collector, bridge, prometheus },
      stopBridge: () => bridge.stop(),
      stop: async () => {
        await stopAll(started);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll(started);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The committed otel-collector.yaml with this test's ports and timing, files instead of Jaeger. */
export function collectorConfig(ports: {
  grpc: number;
  http: number;
  metrics: number;
  health: number;
  tracesFile: string;
  logsFile: string;
}): unknown {
  const config = parse(readFileSync(join(repoRoot, 'otel-collector.yaml'), 'utf8'));
  config.extensions.health_check.endpoint = `127.0.0.1:${ports.health}`;
  config.receivers.otlp.protocols.grpc.endpoint = `127.0.0.1:${ports.grpc}`;
  config.receivers.otlp.protocols.http.endpoint = `127.0.0.1:${ports.http}`;
  config.exporters.prometheus.endpoint = `127.0.0.1:${ports.metrics}`;
  // The demo trains for seconds: batches as fine as the scrapes, so rates see it progress.
  config.processors.batch.timeout = `${SCRAPE_INTERVAL_MS}ms`;
  delete config.exporters['otlp_http/jaeger'];
  config.exporters['file/traces'] = { path: ports.tracesFile, flush_interval: '200ms' };
  config.exporters['file/logs'] = { path: ports.logsFile, flush_interval: '200ms' };
  const { pipelines } = config.service;
  pipelines.traces.exporters = ['file/traces'];
  pipelines.logs.exporters = [...pipelines.logs.exporters, 'file/logs'];
  // The Collector's own metrics would take port 8888: not needed here.
  config.service.telemetry = { metrics: { level: 'none' } };
  return config;
}

/** The committed collector/prometheus.yml scraping this test's Collector, often. */
export function prometheusConfig(metricsPort: number): unknown {
  const config = parse(readFileSync(join(repoRoot, 'collector/prometheus.yml'), 'utf8'));
  config.global.scrape_interval = `${SCRAPE_INTERVAL_MS}ms`;
  config.global.evaluation_interval = `${SCRAPE_INTERVAL_MS}ms`;
  config.scrape_configs[0].static_configs = [{ targets: [`127.0.0.1:${metricsPort}`] }];
  return config;
}

/** The requests a Collector file exporter wrote (one OTLP JSON request per line). */
export function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}
export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

/** The bridge's counters (`GET /stats`). */
export async function bridgeStats(pipeline: Pipeline): Promise<BridgeStats> {
  const response = await fetch(`${pipeline.bridgeUrl}/stats`, {
    headers: { Authorization: `Bearer ${pipeline.bridgeToken}` },
  });
  return (await response.json()) as BridgeStats;
}

/** An instant PromQL query against the real Prometheus. */
export async function promQuery(prometheusUrl: string, query: string): Promise<PromSample[]> {
  return promApi(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query })}`);
}

/** A range PromQL query; times and `step` in seconds. */
export async function promQueryRange(
  prometheusUrl: string,
  query: string,
  start: number,
  end: number,
  step = SCRAPE_INTERVAL_MS / 1000,
): Promise<PromSeries[]> {
  const params = new URLSearchParams({
    query,
    start: String(start),
    end: String(end),
    step: String(step),
  });
  return promApi(`${prometheusUrl}/api/v1/query_range?${params}`);
}

async function promApi<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; data: { result: T }; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus: ${body.error} (${url})`);
  return body.data.result;
}
