/**
 * No Docker engine runs here, so docker-compose.yml and the files it mounts are checked as text:
 * the services and their ports, every mounted file, and that the addresses each config names
 * are the services and ports of the others. The committed otel-collector.yaml is validated by
 * our Collector build, whose manifest pins one release.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCollector, manifestPath, manifestRelease } from '../../scripts/build-collector.mjs';
import { repoRoot } from '../../scripts/test-env.mjs';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const compose = parse(read('docker-compose.yml'));
const collectorConfig = parse(read('otel-collector.yaml'));
/** The parts of a compose service these checks read. */
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}
const services = compose.services as Record<string, Service>;
const env = (service: string, name: string) => services[service]!.environment![name]!;
const command = (service: string) => services[service]!.command!;

/** The bind mounts (`./a:/b:ro`) of a service; named volumes are left out. */
function bindMounts(service: string): { host: string; container: string; readOnly: boolean }[] {
  return (services[service]!.volumes ?? [])
    .map((volume) => volume.split(':'))
    .filter(([host]) => host!.startsWith('./'))
    .map(([host, container, mode]) => ({
      host: host!,
      container: container!,
      readOnly: mode === 'ro',
    }));
}

/** The container port each published port maps to. */
function publishedPorts(service: string): number[] {
  return (services[service]!.ports ?? []).map((port) => Number(port.split(':').at(-1)));
}

/** `host:port` of a URL or `host:port` string, with the compose default of `${env:X:-default}`. */
function hostPort(address: string): [string, number] {
  const fallback = /\$\{env:\w+:-(.+)\}/.exec(address)?.[1] ?? address;
  const url = new URL(fallback.includes('://') ? fallback : `http://${fallback}`);
  return [url.hostname, Number(url.port)];
}

describe('docker-compose.yml', () => {
  it('runs the collector, Prometheus, Grafana, Jaeger and the bridge, with their ports', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['bridge', 'collector', 'grafana', 'jaeger', 'prometheus'].sort(),
    );
    expect(publishedPorts('collector')).toEqual(expect.arrayContaining([4317, 4318]));
    expect(publishedPorts('prometheus')).toContain(9090);
    expect(publishedPorts('grafana')).toContain(3000);
    expect(publishedPorts('jaeger')).toContain(16686);
    // The bridge is reached through the compose network only.
    expect(services.bridge!.ports).toBeUndefined();
  });

  it('mounts files that exist; only output directories may be missing', () => {
    const mounts = Object.keys(services).flatMap((name) =>
      bindMounts(name).map((mount) => ({ name, ...mount })),
    );
    expect(mounts.length).toBeGreaterThanOrEqual(5);
    for (const { name, host, readOnly } of mounts) {
      if (readOnly) expect(existsSync(join(repoRoot, host)), `${name}: ${host}`).toBe(true);
      else
        expect(host, `${name}: writable mounts are output directories under logs/`).toMatch(
          /^\.\/logs\//,
        );
    }
  });

  it('builds the bridge from collector/Dockerfile, listening where the Collector sends', () => {
    const { context, dockerfile } = services.bridge!.build!;
    expect(existsSync(join(repoRoot, context, dockerfile))).toBe(true);
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(read(dockerfile))![1]!;
    const args: string[] = JSON.parse(entrypoint);
    expect(args.slice(0, 3)).toEqual(['node', 'dist/cli/main.js', 'bridge']);
    const port = Number(args[args.indexOf('--port') + 1]);
    const [host, bridgePort] = hostPort(env('collector', 'JEPA_BRIDGE_ENDPOINT'));
    expect([host, bridgePort]).toEqual(['bridge', port]);
    // The committed config's own default says the same.
    expect(hostPort(collectorConfig.exporters['otlp_http/bridge'].endpoint)).toEqual([
      'bridge',
      port,
    ]);
    // The bridge config it mounts is where its command reads it.
    const config = command('bridge')[command('bridge').indexOf('--config') + 1];
    const mount = bindMounts('bridge').find((m) => m.container === config);
    expect(mount && existsSync(join(repoRoot, mount.host))).toBe(true);
  });

  it('points each config at services and ports that exist', () => {
    // Collector: its config file is mounted where its command reads it.
    const configPath = command('collector')[0]!.replace('--config=', '');
    expect(bindMounts('collector').map((m) => [m.host, m.container])).toContainEqual([
      './otel-collector.yaml',
      configPath,
    ]);
    // Jaeger takes OTLP from the Collector.
    expect(hostPort(env('collector', 'JAEGER_OTLP_ENDPOINT'))).toEqual(['jaeger', 4318]);
    expect(env('jaeger', 'COLLECTOR_OTLP_ENABLED')).toBe('true');
    // Prometheus scrapes the Collector's prometheus exporter.
    const prometheus = parse(read('collector/prometheus.yml'));
    const [target] = prometheus.scrape_configs[0].static_configs[0].targets;
    const exporterPort = hostPort(collectorConfig.exporters.prometheus.endpoint)[1];
    expect(hostPort(target)).toEqual(['collector', exporterPort]);
    expect(prometheus.scrape_configs[0].honor_labels).toBe(true);
    // Grafana's data sources are the Prometheus and Jaeger services.
    const datasources = parse(read('collector/grafana/provisioning/datasources/datasources.yaml'))
      .datasources as { uid: string; type: string; url: string }[];
    expect(datasources.map((d) => [d.type, hostPort(d.url)])).toEqual([
      ['prometheus', ['prometheus', 9090]],
      ['jaeger', ['jaeger', 16686]],
    ]);
    // The dashboard provider reads the directory the dashboards are mounted in, and the
    // dashboard uses the provisioned data sources only.
    const provider = parse(read('collector/grafana/provisioning/dashboards/dashboards.yaml'))
      .providers[0];
    const dashboards = bindMounts('grafana').find((m) => m.container === provider.options.path);
    expect(dashboards?.host).toBe('./collector/grafana/dashboards');
    const home = env('grafana', 'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH');
    const homeFile = join(repoRoot, dashboards!.host, home.slice(provider.options.path.length));
    expect(statSync(homeFile).isFile()).toBe(true);
    const uids = new Set<string>();
    JSON.stringify(JSON.parse(readFileSync(homeFile, 'utf8')), (key, value) => {
      if (key === 'datasource' && value?.uid) uids.add(value.uid);
      return value;
    });
    expect([...uids].every((uid) => datasources.some((d) => d.uid === uid))).toBe(true);
  });

  it('runs the Collector release our build pins', () => {
    const manifest = parse(readFileSync(manifestPath, 'utf8'));
    const release = manifestRelease(manifest);
    expect(release).toBe(`v${manifest.dist.version}`);
    expect(services.collector!.image).toBe(
      `otel/opentelemetry-collector-contrib:${manifest.dist.version}`,
    );
  });
});

describe('the build manifest and otel-collector.yaml', () => {
  it('pins every module to one release, and says which one when not', () => {
    const manifest = parse(readFileSync(manifestPath, 'utf8'));
    const stray = {
      ...manifest,
      exporters: [...manifest.exporters, { gomod: 'example.com/exporter v0.1.0' }],
    };
    expect(() => manifestRelease(stray)).toThrow(/example\.com\/exporter v0\.1\.0/);
  });

  it('is a valid configuration for our Collector build', () => {
    const output = execFileSync(
      buildCollector(),
      ['validate', '--config', join(repoRoot, 'otel-collector.yaml')],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(output).not.toMatch(/error/i);
  });
});
