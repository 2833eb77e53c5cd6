/**
 * The load test of docs/collector.md ("Many ranks"): the real Collector (our build, running the
 * committed collector/*.yaml with this machine's ports), the bridge and Prometheus as processes
 * on 127.0.0.1, then N ranks of one or more jobs (bench/scale/rank.mjs, each a process logging
 * 10-scalar rows and one decorated span per row through the OTLP backend). It counts, per rank,
 * the rows logged against the rows the bridge handed its backends (`/stats` byRun), reads every
 * rank's last values from Prometheus, and samples the Collectors' and bridges' CPU and memory
 * from /proc. Outages (a gateway down, a bridge or an agent restarted) can be staged mid-run.
 *
 * Two topologies: `single` (collector/single.yaml, one bridge) and `gateways` (two agents with
 * collector/agent.yaml, two gateways with collector/gateway.yaml, one bridge per gateway).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import type { BridgeStats } from '../../src/bridge/bridge.js';
import {
  freePort,
  type ManagedProcess,
  startProcess,
  stopAll,
  waitForHttp,
} from '../../test/support/processes.js';

export type Topology = 'single' | 'gateways';

export interface Outage {
  /** Seconds after the ranks start. */
  readonly at: number;
  /** gateway: gateway 0 stopped, restarted `seconds` later; bridge / agent: 0 restarted. */
  readonly kind: 'gateway' | 'bridge' | 'agent';
  readonly seconds?: number;
}

export interface LoadTestOptions {
  readonly topology: Topology;
  readonly jobs: number;
  readonly ranksPerJob: number;
  /** Rows a second per rank. */
  readonly rate: number;
  readonly seconds: number;
  readonly outages?: readonly Outage[];
  /** How long to wait for the bridge to catch up after the ranks end. Default 180 s. */
  readonly drainTimeoutS?: number;
  readonly log?: (line: string) => void;
}

export interface RankResult {
  readonly runId: string;
  readonly rank: number;
  /** Rows the rank logged (10 scalars each). */
  readonly logged: number;
  /** `jepa.metrics` events those rows make: each row and its decorated call's timing row. */
  readonly events: number;
  /** `jepa.metrics` events the bridge handed its backends for this rank. */
  readonly written: number;
  /** Last values in Prometheus equal the rank's last row. */
  readonly lastValuesExact: boolean;
  /** Lines of the rank's diagnostics that report OTLP losses. */
  readonly lossReports: readonly string[];
  /** Bridge (index) that wrote this rank's rows; several means the run was split. */
  readonly bridges: readonly number[];
}

export interface ProcessUsage {
  readonly name: string;
  readonly cpuSeconds: number;
  readonly maxRssMiB: number;
}

export interface LoadTestResult {
  readonly options: Omit<LoadTestOptions, 'log'>;
  readonly ranks: readonly RankResult[];
  readonly rowsLogged: number;
  /** `jepa.metrics` events the ranks made, and those the bridges wrote. */
  readonly eventsLogged: number;
  readonly eventsWritten: number;
  /** Rows a second all ranks logged, over the time they took. */
  readonly sentRowsPerSecond: number;
  /** Seconds from the last rank's end until the bridges had every row. */
  readonly drainSeconds: number;
  /** Prometheus series of scale_v0: one per rank. */
  readonly seriesPerRank: boolean;
  readonly usage: readonly ProcessUsage[];
  readonly spans: number;
  readonly rejected: number;
  /** 1-minute load average at the start and at the end. */
  readonly loadAverage: readonly [number, number];
}

/**
 * The repository: this file runs from bench/scale/ (tests) or compiled from .bench-dist/bench/scale/
 * (the benchmark), where the plain-JavaScript scripts are not copied.
 */
const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'collector', 'builder-config.yaml'))) {
    if (dirname(dir) === dir) throw new Error('load test: the repository root was not found');
    dir = dirname(dir);
  }
  return dir;
})();
const RANK_SCRIPT = join(repoRoot, 'bench/scale/rank.mjs');
/**
 * The compiled package: the ranks and the bridge run it. JEPA_SCALE_PACKAGE names a copy of the
 * package (its dist/) to run instead, so that a rebuild during a long run does not pull it away.
 */
const PACKAGE = process.env.JEPA_SCALE_PACKAGE ?? repoRoot;
const ENTRY = join(PACKAGE, 'dist/index.js');
const CLI = join(PACKAGE, 'dist/cli/main.js');
const PROMETHEUS = '/usr/bin/prometheus';
const TICKS_PER_SECOND = 100;

interface Bridge {
  process: ManagedProcess;
  readonly url: string;
  readonly port: number;
  /** Counters of earlier incarnations (a restart resets the bridge's own). */
  readonly earlier: BridgeStats[];
}

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  for (const needed of [ENTRY, CLI]) {
    if (!existsSync(needed)) throw new Error(`${needed} is missing: run \`npm run build\` first`);
  }
  if (!existsSync(PROMETHEUS)) {
    throw new Error(`${PROMETHEUS} is missing: run node scripts/setup-test-env.mjs`);
  }
  const log = options.log ?? (() => {});
  const { buildCollector } = (await import(
    pathToFileURL(join(repoRoot, 'scripts/build-collector.mjs')).href
  )) as typeof import('../../scripts/build-collector.mjs');
  const binary = buildCollector();
  const dir = mkdtempSync(join(tmpdir(), 'jepa-scale-'));
  const token = `token-${Math.random().toString(36).slice(2)}`;
  const everything: ManagedProcess[] = [];
  const started = (p: ManagedProcess) => {
    everything.push(p);
    return p;
  };
  const loadStart = loadavg()[0]!;
  try {
    const gateways = options.topology === 'gateways';
    const bridgeCount = gateways ? 2 : 1;
    const bridgeYaml = join(dir, 'bridge.yaml');
    writeFileSync(bridgeYaml, stringify(bridgeConfig(dir)));
    const startBridge = (i: number, port: number) =>
      started(
        startProcess(
          `bridge-${i}`,
          process.execPath,
          [CLI, 'bridge', '--port', String(port), '--config', bridgeYaml],
          {
            env: { JEPA_BRIDGE_TOKEN: token },
            cwd: dir,
          },
        ),
      );
    const bridges: Bridge[] = [];
    for (let i = 0; i < bridgeCount; i++) {
      const port = await freePort();
      bridges.push({
        process: startBridge(i, port),
        port,
        url: `http://127.0.0.1:${port}`,
        earlier: [],
      });
    }

    // Collectors: a name, its config, and the ports others need.
    const collectorEnv = (bridge: Bridge) => ({
      JEPA_BRIDGE_ENDPOINT: bridge.url,
      JEPA_BRIDGE_TOKEN: token,
      // Spans go to the bridge, which counts them, in place of Jaeger.
      JAEGER_OTLP_ENDPOINT: bridge.url,
    });
    const collectors = new Map<
      string,
      { process: ManagedProcess; config: string; env: NodeJS.ProcessEnv; health: number }
    >();
    const startCollector = async (
      name: string,
      config: unknown,
      env: NodeJS.ProcessEnv,
      health: number,
    ) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, stringify(config));
      const process = started(startProcess(name, binary, ['--config', file], { env }));
      collectors.set(name, { process, config: file, env, health });
      await waitForHttp(`http://127.0.0.1:${health}/`, { process });
    };
    const restartCollector = async (name: string) => {
      const { config, env, health } = collectors.get(name)!;
      const process = started(startProcess(name, binary, ['--config', config], { env }));
      collectors.set(name, { process, config, env, health });
      await waitForHttp(`http://127.0.0.1:${health}/`, { process });
    };

    const metricsPorts: number[] = [];
    const rankEndpoints: string[] = [];
    if (!gateways) {
      const ports = {
        http: await freePort(),
        grpc: await freePort(),
        metrics: await freePort(),
        health: await freePort(),
      };
      metricsPorts.push(ports.metrics);
      const config = committed('single.yaml');
      setEndpoints(config, ports);
      config.exporters['otlp_http/jaeger'].headers = { Authorization: `Bearer ${token}` };
      await startCollector('collector', config, collectorEnv(bridges[0]!), ports.health);
      rankEndpoints.push(`http://127.0.0.1:${ports.http}`);
    } else {
      const gatewayGrpc: number[] = [];
      for (let i = 0; i < 2; i++) {
        const ports = {
          grpc: await freePort(),
          metrics: await freePort(),
          health: await freePort(),
        };
        metricsPorts.push(ports.metrics);
        gatewayGrpc.push(ports.grpc);
        const config = committed('gateway.yaml');
        setEndpoints(config, ports);
        config.extensions.file_storage.directory = join(dir, `gateway-${i}-queue`);
        config.extensions.file_storage.compaction.directory = join(dir, `gateway-${i}-queue`);
        config.exporters['otlp_http/traces'].headers = { Authorization: `Bearer ${token}` };
        await startCollector(`gateway-${i}`, config, collectorEnv(bridges[i]!), ports.health);
      }
      for (let i = 0; i < 2; i++) {
        const ports = { http: await freePort(), grpc: await freePort(), health: await freePort() };
        const config = committed('agent.yaml');
        setEndpoints(config, ports);
        config.extensions.file_storage.directory = join(dir, `agent-${i}-queue`);
        config.extensions.file_storage.compaction.directory = join(dir, `agent-${i}-queue`);
        config.exporters.load_balancing.resolver.static.hostnames = gatewayGrpc.map(
          (p) => `127.0.0.1:${p}`,
        );
        await startCollector(`agent-${i}`, config, {}, ports.health);
        rankEndpoints.push(`http://127.0.0.1:${ports.http}`);
      }
    }
    const prometheusPort = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), stringify(prometheusConfig(metricsPorts)));
    const prometheus = started(
      startProcess('prometheus', PROMETHEUS, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ]),
    );
    const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    await Promise.all([
      waitForHttp(`${prometheusUrl}/-/ready`, { process: prometheus }),
      ...bridges.map((b) =>
        waitForHttp(`${b.url}/health`, { process: b.process, timeoutMs: 60_000 }),
      ),
    ]);

    // Sample CPU and memory of the Collectors and bridges (by name: restarts continue the sums).
    const usage = new Map<string, { cpu: Map<number, number>; maxRss: number }>();
    const watched = () => [
      ...[...collectors].map(([name, c]) => [name, c.process] as const),
      ...bridges.map((b, i) => [`bridge-${i}`, b.process] as const),
    ];
    const sample = () => {
      for (const [name, p] of watched()) {
        const pid = p.child.pid;
        const read = pid === undefined ? undefined : procUsage(pid);
        if (!read || pid === undefined) continue;
        const entry = usage.get(name) ?? { cpu: new Map(), maxRss: 0 };
        entry.cpu.set(pid, read.cpuSeconds);
        entry.maxRss = Math.max(entry.maxRss, read.rssMiB);
        usage.set(name, entry);
      }
    };
    const sampler = setInterval(sample, 250);

    // The ranks: job j's run id; on two agents, the first half of a job's ranks on agent 0.
    const runIds = Array.from(
      { length: options.jobs },
      (_, j) => `scale${String(j).padStart(3, '0')}`,
    );
    const rankStart = Date.now();
    const ranks = runIds.flatMap((runId) =>
      Array.from({ length: options.ranksPerJob }, (_, rank) => {
        const endpoint =
          rankEndpoints[Math.floor((rank * rankEndpoints.length) / options.ranksPerJob)]!;
        const params = { endpoint, runId, rate: options.rate, seconds: options.seconds };
        const child = startProcess(
          `rank-${runId}-${rank}`,
          process.execPath,
          [RANK_SCRIPT, ENTRY, JSON.stringify(params)],
          {
            env: {
              RANK: String(rank),
              WORLD_SIZE: String(options.ranksPerJob),
              LOCAL_RANK: String(rank),
            },
          },
        );
        return { runId, rank, child };
      }),
    );
    log(
      `${ranks.length} ranks at ${options.rate} rows/s for ${options.seconds} s (${options.topology})`,
    );

    /** The bridge (and so the gateway) that has rows of `runId`; 0 before any arrived. */
    const carrierOf = async (runId: string): Promise<number> => {
      for (const [i, bridge] of bridges.entries()) {
        const stats = await bridgeStatsAt(bridge.url, token).catch(() => undefined);
        if (stats?.byRun[runId]) return i;
      }
      return 0;
    };
    const outages = (options.outages ?? []).map(async (outage) => {
      await sleep(outage.at * 1000);
      // The gateway and bridge that carry job 0 (the agents' ring decides which).
      const carrier = await carrierOf(runIds[0]!);
      if (outage.kind === 'gateway' || outage.kind === 'agent') {
        const name = outage.kind === 'agent' ? 'agent-0' : `gateway-${carrier}`;
        log(`outage: ${name} stopped for ${outage.seconds ?? 0} s`);
        await collectors.get(name)!.process.stop();
        await sleep((outage.seconds ?? 0) * 1000);
        await restartCollector(name);
        log(`outage: ${name} back`);
      } else {
        // The bridge's counters live in its memory: pause what feeds it, read them, then stop it.
        const bridge = bridges[carrier]!;
        const feeder = collectors.get(gateways ? `gateway-${carrier}` : 'collector')!.process;
        feeder.child.kill('SIGSTOP');
        try {
          await sleep(1000);
          bridge.earlier.push(await bridgeStatsAt(bridge.url, token));
          await bridge.process.stop();
          log(`outage: bridge-${carrier} stopped`);
        } finally {
          feeder.child.kill('SIGCONT');
        }
        await sleep((outage.seconds ?? 0) * 1000);
        bridge.process = startBridge(carrier, bridge.port);
        await waitForHttp(`${bridge.url}/health`, { process: bridge.process, timeoutMs: 60_000 });
        log(`outage: bridge-${carrier} back`);
      }
    });

    const finished = await Promise.all(
      ranks.map(async ({ runId, rank, child }) => {
        const code = await child.exited;
        const output = child.output();
        const line = output.split('\n').find((l) => l.startsWith('{"logged"'));
        if (code !== 0 || !line)
          throw new Error(`rank ${runId}/${rank} failed (exit ${code}):\n${output}`);
        const { logged, events, last } = JSON.parse(line) as {
          logged: number;
          events: number;
          last: Record<string, number>;
        };
        const lossReports = output.split('\n').filter((l) => /otlp: .*lost/.test(l));
        return { runId, rank, logged, events, last, lossReports };
      }),
    );
    const ranksEnded = Date.now();
    await Promise.all(outages);
    const rowsLogged = finished.reduce((sum, r) => sum + r.logged, 0);
    log(`ranks done: ${rowsLogged} rows in ${((ranksEnded - rankStart) / 1000).toFixed(1)} s`);

    // Wait until the bridges have every rank's rows, or for the drain timeout.
    const written = () =>
      Promise.all(bridges.map(async (b) => [...b.earlier, await bridgeStatsAt(b.url, token)]));
    const writtenFor = (stats: BridgeStats[][], runId: string, rank: number) =>
      stats.map((incarnations) =>
        incarnations.reduce(
          (sum, s) => sum + (s.byRun[runId]?.[String(rank)]?.['jepa.metrics'] ?? 0),
          0,
        ),
      );
    const complete = (stats: BridgeStats[][]) =>
      finished.every(
        (r) => writtenFor(stats, r.runId, r.rank).reduce((a, b) => a + b, 0) >= r.events,
      );
    let stats = await written();
    const drainDeadline = Date.now() + (options.drainTimeoutS ?? 180) * 1000;
    while (!complete(stats) && Date.now() < drainDeadline) {
      await sleep(250);
      stats = await written();
    }
    const drained = Date.now();
    // A moment more: rows past the count (duplicates) would show now.
    await sleep(2000);
    stats = await written();
    sample();
    clearInterval(sampler);

    // Every rank's last values in Prometheus (its final export came with finish()).
    await sleep(3000);
    const series = await promQuery(prometheusUrl, 'scale_v0');
    const results: RankResult[] = await Promise.all(
      finished.map(async (r) => {
        const perBridge = writtenFor(stats, r.runId, r.rank);
        const samples = await promQuery(
          prometheusUrl,
          `{__name__=~"scale_v[0-9]", jepa_run_id="${r.runId}", jepa_rank="${r.rank}"}`,
        );
        const lastValuesExact =
          samples.length === 10 &&
          samples.every(
            (s) => Number(s.value[1]) === r.last[s.metric.__name__!.replace('scale_', 'scale/')],
          );
        return {
          runId: r.runId,
          rank: r.rank,
          logged: r.logged,
          events: r.events,
          written: perBridge.reduce((a, b) => a + b, 0),
          lastValuesExact,
          lossReports: r.lossReports,
          bridges: perBridge.flatMap((n, i) => (n > 0 ? [i] : [])),
        };
      }),
    );
    const flat = stats.flat();
    return {
      options: { ...options, log: undefined } as Omit<LoadTestOptions, 'log'>,
      ranks: results,
      rowsLogged,
      eventsLogged: finished.reduce((sum, r) => sum + r.events, 0),
      eventsWritten: totalEvents(stats),
      sentRowsPerSecond: rowsLogged / ((ranksEnded - rankStart) / 1000),
      drainSeconds: Math.max(0, (drained - ranksEnded) / 1000),
      seriesPerRank: series.length === ranks.length,
      usage: [...usage].map(([name, u]) => ({
        name,
        cpuSeconds: [...u.cpu.values()].reduce((a, b) => a + b, 0),
        maxRssMiB: u.maxRss,
      })),
      spans: flat.reduce((sum, s) => sum + s.spans, 0),
      rejected: flat.reduce((sum, s) => sum + s.rejected, 0),
      loadAverage: [loadStart, loadavg()[0]!],
    };
  } finally {
    await stopAll(everything.reverse());
    // JEPA_SCALE_LOGS=<dir> keeps the Collectors' and bridges' output (the last 64 KiB each).
    const keep = process.env.JEPA_SCALE_LOGS;
    if (keep) {
      for (const p of everything.filter((p) => !p.name.startsWith('rank-'))) {
        writeFileSync(join(keep, `${p.name}-${p.child.pid}.log`), p.output());
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A committed Collector config of collector/. */
function committed(file: string) {
  return parse(readFileSync(join(repoRoot, 'collector', file), 'utf8'));
}

/** This machine's ports in place of the committed ones; the Collector's own metrics off. */
function setEndpoints(
  // biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document
  config: any,
  ports: { http?: number; grpc: number; metrics?: number; health: number },
): void {
  config.extensions.health_check.endpoint = `127.0.0.1:${ports.health}`;
  config.receivers.otlp.protocols.grpc.endpoint = `127.0.0.1:${ports.grpc}`;
  if (ports.http) config.receivers.otlp.protocols.http.endpoint = `127.0.0.1:${ports.http}`;
  if (ports.metrics) config.exporters.prometheus.endpoint = `127.0.0.1:${ports.metrics}`;
  config.service.telemetry = { metrics: { level: 'none' } };
}

/** collector/bridge.yaml's backends without the console (32 ranks' rows would flood it). */
function bridgeConfig(dir: string): unknown {
  const config = parse(readFileSync(join(repoRoot, 'collector/bridge.yaml'), 'utf8'));
  return {
    ...config,
    backends: config.backends.filter((b: string) => b !== 'console'),
    tensorboard: { ...config.tensorboard, log_dir: join(dir, 'tensorboard') },
    wandb: { ...config.wandb, dir },
  };
}

function prometheusConfig(metricsPorts: readonly number[]): unknown {
  const config = parse(readFileSync(join(repoRoot, 'collector/prometheus.yml'), 'utf8'));
  config.global.scrape_interval = '1s';
  config.global.evaluation_interval = '1s';
  config.scrape_configs[0].static_configs = [
    { targets: metricsPorts.map((p) => `127.0.0.1:${p}`) },
  ];
  return config;
}

async function promQuery(
  prometheusUrl: string,
  query: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await response.json()) as {
    status: string;
    data: { result: never[] };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`Prometheus: ${body.error} (${query})`);
  return body.data.result;
}

async function bridgeStatsAt(url: string, token: string): Promise<BridgeStats> {
  const response = await fetch(`${url}/stats`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`bridge ${url}/stats: HTTP ${response.status}`);
  return (await response.json()) as BridgeStats;
}

function totalEvents(stats: readonly (readonly BridgeStats[])[]): number {
  let sum = 0;
  for (const s of stats.flat()) {
    for (const ranks of Object.values(s.byRun)) {
      for (const events of Object.values(ranks)) sum += events['jepa.metrics'] ?? 0;
    }
  }
  return sum;
}

/** CPU seconds (user + system) and resident memory of a running process, from /proc. */
function procUsage(pid: number): { cpuSeconds: number; rssMiB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds, rssMiB: rssKiB / 1024 };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
