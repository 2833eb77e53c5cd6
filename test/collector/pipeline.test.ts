/**
 * End to end, with the real peers: four demo processes (RANK 0..3, one run) send OTLP to our
 * Collector build running the committed otel-collector.yaml; Prometheus 2.x scrapes it with the
 * committed prometheus.yml; the bridge writes TensorBoard and W&B. What the demo sent is read
 * back independently from the Collector's file exporters (logs, traces).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../../scripts/test-env.mjs';
import { LoggerRegistry } from '../../src/loggers/base-logger.js';
import '../../src/loggers/builtins.js';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { eventually, type ManagedProcess, stopAll } from '../support/processes.js';
import {
  bridgeStats,
  type Pipeline,
  promQuery,
  promQueryRange,
  readJsonLines,
  SCRAPE_INTERVAL_MS,
  startCli,
  startPipeline,
} from './pipeline.js';

const RUN_ID = 'e2erun01';
const RANKS = [0, 1, 2, 3];
const WANDB = LoggerRegistry.has('wandb');

/** One row as the Collector's file exporter wrote it. */
interface Row {
  readonly rank: number;
  readonly step: number;
  readonly timeUnixNano: bigint;
  readonly values: Record<string, number>;
}

/** What the demo sent, per rank, from the Collector's logs file. */
interface Sent {
  /** Rows in the order they were logged. */
  readonly rows: Row[];
  ended: boolean;
}

let out: string;
let pipeline: Pipeline;
let demos: ManagedProcess[] = [];
let started: number;
/** The demo's rows per rank, read from the Collector's logs file. */
let rows: Map<number, Row[]>;
/** `time/<function>` rows of decorated calls: events only, their OTel form is the histogram. */
const EVENT_ONLY_KEY = /^time\//;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'jepa-e2e-'));
  pipeline = await startPipeline({
    prometheus: true,
    bridgeConfig: {
      backends: ['tensorboard', ...(WANDB ? ['wandb'] : [])],
      tensorboard: { log_dir: join(out, 'bridge', 'tensorboard'), flush_secs: 1 },
      ...(WANDB ? { wandb: { mode: 'offline', dir: join(out, 'bridge') } } : {}),
    },
  });
  // The demo as it ships, with steps slowed as a heavier model's would be: a run that lasts a
  // few seconds gives Prometheus several scrapes while it trains, for rates and quantiles.
  const demoFile = join(out, 'demo.yaml');
  const demo = parse(readFileSync(join(repoRoot, 'examples/demo.yaml'), 'utf8'));
  demo.training.step_time = 0.01;
  // System metrics (on with W&B) sampled at each scrape, for the dashboard's system panels.
  demo.logging.system_metrics_interval = SCRAPE_INTERVAL_MS / 1000;
  writeFileSync(demoFile, stringify(demo));
  started = Date.now() / 1000;
  demos = RANKS.map((rank) => {
    const cwd = join(out, `rank-${rank}`);
    mkdirSync(cwd, { recursive: true });
    return startCli(`demo rank ${rank}`, ['demo', '--config', demoFile], {
      cwd,
      env: {
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(RANKS.length),
        JEPA_RUN_ID: RUN_ID,
        OTEL_EXPORTER_OTLP_ENDPOINT: pipeline.otlpHttp,
        // Several points per series while the demo runs, for rates and quantiles over time.
        OTEL_METRIC_EXPORT_INTERVAL: String(SCRAPE_INTERVAL_MS),
        WANDB_MODE: 'offline',
      },
    });
  });
  const codes = await Promise.all(demos.map((demo) => demo.exited));
  codes.forEach((code, rank) => {
    if (code !== 0) throw new Error(`demo rank ${rank} exited ${code}:\n${demos[rank]!.output()}`);
  });
  rows = await eventually('the end of every rank to reach the Collector', () => {
    const sent = demoSent(pipeline.logsFile);
    return RANKS.every((rank) => sent.get(rank)?.ended)
      ? new Map(RANKS.map((rank) => [rank, sent.get(rank)!.rows]))
      : undefined;
  });
  // Prometheus has scraped the last values once jepa_step shows every rank's last step.
  await eventually('Prometheus to scrape the last step of every rank', async () => {
    const steps = await promQuery(pipeline.prometheusUrl, `jepa_step{jepa_run_id="${RUN_ID}"}`);
    return RANKS.every((rank) =>
      steps.some(
        (s) => s.metric.jepa_rank === String(rank) && Number(s.value[1]) === lastRow(rank).step,
      ),
    )
      ? true
      : undefined;
  });
}, 600_000);

afterAll(async () => {
  await stopAll(demos);
  await pipeline?.stop();
  rmSync(out, { recursive: true, force: true });
});

function lastRow(rank: number): Row {
  return rows.get(rank)!.at(-1)!;
}

/** Each key's last logged value: what its gauge holds at the end. */
function lastValues(rank: number): Record<string, number> {
  return Object.assign({}, ...rows.get(rank)!.map((row) => row.values));
}

/** The Prometheus name the Collector gives a gauge: runs of other characters become `_`. */
function prometheusName(key: string): string {
  return key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

describe('Prometheus (must-show 1 and 4)', () => {
  it("returns every rank's last values exactly: loss, learning rate, every key, and the step", async () => {
    const keys = Object.keys(lastValues(0));
    expect(keys.some((key) => /loss/.test(key))).toBe(true);
    expect(keys.some((key) => /(^|\W|_)(lr|learning_rate)$/.test(key))).toBe(true);
    for (const rank of RANKS) {
      const selector = `{jepa_run_id="${RUN_ID}", jepa_rank="${rank}"}`;
      const [step, ...more] = await promQuery(pipeline.prometheusUrl, `jepa_step${selector}`);
      expect(more).toEqual([]);
      expect(Number(step!.value[1])).toBe(lastRow(rank).step);
      for (const [key, value] of Object.entries(lastValues(rank))) {
        const samples = await promQuery(
          pipeline.prometheusUrl,
          `${prometheusName(key)}${selector}`,
        );
        if (EVENT_ONLY_KEY.test(key)) {
          expect(samples, key).toEqual([]);
          continue;
        }
        expect(samples, `${key} of rank ${rank}`).toHaveLength(1);
        expect(Number(samples[0]!.value[1]), `${key} of rank ${rank}`).toBe(value);
      }
    }
  });

  it('has one series per rank for every metric, labelled by rank', async () => {
    const names = [
      'jepa_step',
      ...Object.keys(lastValues(0))
        .filter((key) => !EVENT_ONLY_KEY.test(key))
        .map(prometheusName),
    ];
    for (const name of names) {
      const samples = await promQuery(pipeline.prometheusUrl, `${name}{jepa_run_id="${RUN_ID}"}`);
      expect(samples.map((s) => s.metric.jepa_rank).sort(), name).toEqual(RANKS.map(String));
      expect(new Set(samples.map((s) => s.metric.instance)).size, name).toBe(RANKS.length);
    }
  });

  it('gives step-time quantiles from the duration histogram, within the spans the demo timed', async () => {
    const spans = demoSpans(pipeline.tracesFile);
    for (const q of [0.5, 0.95]) {
      const samples = await promQuery(
        pipeline.prometheusUrl,
        `histogram_quantile(${q}, sum by (le, jepa_rank) (jepa_call_duration_seconds_bucket{jepa_run_id="${RUN_ID}"}))`,
      );
      expect(samples.map((s) => s.metric.jepa_rank).sort()).toEqual(RANKS.map(String));
      for (const sample of samples) {
        const seconds = Number(sample.value[1]);
        const durations = spans
          .filter((s) => s.rank === Number(sample.metric.jepa_rank))
          .map((s) => s.seconds);
        // Interpolated inside a bucket (edges 2 to 2.5 times apart) that holds real durations.
        expect(seconds).toBeGreaterThanOrEqual(Math.min(...durations) / 2.5);
        expect(seconds).toBeLessThanOrEqual(Math.max(...durations) * 2.5 + 0.001);
      }
    }
  });

  it('answers every panel query and variable of the Grafana dashboard with data, per rank', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(repoRoot, 'collector/grafana/dashboards/training.json'), 'utf8'),
    ) as Dashboard;
    // Grafana's $__rate_interval is at least four scrapes.
    const window = `${4 * SCRAPE_INTERVAL_MS}ms`;
    const substitute = (expr: string) =>
      expr
        .replaceAll('$__rate_interval', window)
        .replaceAll('$project', '.*')
        .replaceAll('$run', RUN_ID)
        .replaceAll('$function', '.*');
    for (const variable of dashboard.templating.list) {
      const match = /^label_values\((.*),\s*(\w+)\)$/.exec(variable.query.query);
      expect(match, variable.name).not.toBeNull();
      const response = await fetch(
        `${pipeline.prometheusUrl}/api/v1/label/${match![2]}/values?${new URLSearchParams({ 'match[]': substitute(match![1]!) })}`,
      );
      const { data: values } = (await response.json()) as { data: string[] };
      expect(values.length, `variable ${variable.name}`).toBeGreaterThan(0);
    }
    const end = Date.now() / 1000;
    const targets = dashboard.panels.flatMap((panel) =>
      panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })),
    );
    expect(targets.length).toBeGreaterThanOrEqual(6);
    for (const { panel, expr } of targets) {
      // GPU series need an NVIDIA GPU: none on the machines these tests run on.
      if (expr.startsWith('hw_gpu_') && !onPath('nvidia-smi')) continue;
      const series = await promQueryRange(
        pipeline.prometheusUrl,
        substitute(expr),
        started - 5,
        end,
      );
      const withData = series.filter((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
      expect(withData.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      expect(new Set(withData.map((s) => s.metric.jepa_rank)), panel).toEqual(
        new Set(RANKS.map(String)),
      );
    }
  });
});

describe('traces through the Collector (must-show 2)', () => {
  it('carry the decorated spans of every rank, with their recorded exceptions', () => {
    const spans = demoSpans(pipeline.tracesFile);
    expect(new Set(spans.map((s) => s.rank))).toEqual(new Set(RANKS));
    const failed = spans.filter((s) => s.status === 2 && s.scope === 'jepa-loggers');
    expect(failed.length).toBeGreaterThan(0);
    for (const span of failed) {
      const exception = span.events.find((e) => e.name === 'exception');
      expect(exception, span.name).toBeDefined();
      expect(typeof exception!.attributes['exception.type']).toBe('string');
      expect(typeof exception!.attributes['exception.message']).toBe('string');
    }
  });
});

describe('the bridge (must-show 4)', () => {
  it('writes TensorBoard and W&B for rank 0 only, every row at its step', async () => {
    await eventually('the bridge to receive the end of every rank', async () => {
      const stats = await bridgeStats(pipeline);
      return (stats.events['jepa.run.end'] ?? 0) >= RANKS.length ? true : undefined;
    });
    // SIGTERM: the bridge flushes and closes every run before it exits.
    expect(await pipeline.stopBridge()).toBe(0);

    const tensorboard = join(out, 'bridge', 'tensorboard');
    const runDirs = readdirSync(tensorboard);
    expect(runDirs).toHaveLength(1);
    const run = await accumulate(join(tensorboard, runDirs[0]!));
    const rank0 = rows.get(0)!;
    for (const key of Object.keys(lastValues(0))) {
      const expected = rank0.filter((r) => key in r.values);
      const scalars = run.scalars[key];
      expect(
        scalars?.map(([step]) => step),
        key,
      ).toEqual(expected.map((r) => r.step));
      scalars!.forEach(([, value], i) => {
        // TensorBoard keeps float32.
        expect(Number(value)).toBeCloseTo(expected[i]!.values[key]!, 5);
      });
    }

    if (WANDB) {
      const wandbRuns = readdirSync(join(out, 'bridge', 'wandb')).filter((name) =>
        name.includes(RUN_ID),
      );
      expect(wandbRuns).toHaveLength(1);
    }
  });
});

// ---- what the Collector's file exporters wrote (OTLP JSON), read without our decoder ----

interface JsonKeyValue {
  key: string;
  value: Record<string, unknown>;
}
interface JsonResource {
  resource?: { attributes?: JsonKeyValue[] };
}
interface JsonLogs {
  resourceLogs?: (JsonResource & {
    scopeLogs?: {
      logRecords?: { eventName?: string; timeUnixNano: string; attributes?: JsonKeyValue[] }[];
    }[];
  })[];
}
interface JsonTraces {
  resourceSpans?: (JsonResource & {
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        name: string;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        status?: { code?: number };
        events?: { name: string; attributes?: JsonKeyValue[] }[];
      }[];
    }[];
  })[];
}
interface Dashboard {
  templating: { list: { name: string; query: { query: string } }[] };
  panels: { title: string; targets: { expr: string }[] }[];
}

function attributes(list: JsonKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const [kind, raw] = Object.entries(value)[0] ?? [];
    out[key] = kind === 'intValue' || kind === 'doubleValue' ? Number(raw) : raw;
  }
  return out;
}

function demoSent(logsFile: string): Map<number, Sent> {
  const byRank = new Map<number, Sent>();
  for (const request of readJsonLines<JsonLogs>(logsFile)) {
    for (const resourceLogs of request.resourceLogs ?? []) {
      const resource = attributes(resourceLogs.resource?.attributes);
      if (resource['jepa.run.id'] !== RUN_ID) continue;
      const rank = Number(resource['jepa.rank']);
      const sent = byRank.get(rank) ?? { rows: [], ended: false };
      byRank.set(rank, sent);
      for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
        for (const record of scopeLogs.logRecords ?? []) {
          if (record.eventName === 'jepa.run.end') sent.ended = true;
          if (record.eventName !== 'jepa.metrics') continue;
          const { 'jepa.step': step, ...values } = attributes(record.attributes);
          sent.rows.push({
            rank,
            step: Number(step),
            timeUnixNano: BigInt(record.timeUnixNano),
            values: values as Record<string, number>,
          });
        }
      }
    }
  }
  // Batches may reach the file in any order; the records' own times give the logging order.
  for (const { rows } of byRank.values()) {
    rows.sort((a, b) =>
      a.timeUnixNano < b.timeUnixNano ? -1 : a.timeUnixNano > b.timeUnixNano ? 1 : 0,
    );
  }
  return byRank;
}

interface DemoSpan {
  rank: number;
  /** The instrumentation scope: `jepa-loggers` for decorated functions. */
  scope: string;
  name: string;
  seconds: number;
  status: number;
  events: { name: string; attributes: Record<string, unknown> }[];
}

function demoSpans(tracesFile: string): DemoSpan[] {
  const spans: DemoSpan[] = [];
  for (const request of readJsonLines<JsonTraces>(tracesFile)) {
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = attributes(resourceSpans.resource?.attributes);
      if (resource['jepa.run.id'] !== RUN_ID) continue;
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          spans.push({
            rank: Number(resource['jepa.rank']),
            scope: scopeSpans.scope?.name ?? '',
            name: span.name,
            seconds: Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e9,
            status: span.status?.code ?? 0,
            events: (span.events ?? []).map((e) => ({
              name: e.name,
              attributes: attributes(e.attributes),
            })),
          });
        }
      }
    }
  }
  return spans;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, command)));
}
