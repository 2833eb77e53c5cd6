/**
 * deploy/kubernetes/collector.yaml: its Collector configs are the committed collector/agent.yaml
 * and collector/gateway.yaml (so the measured configs are the deployed ones), the bridge's is
 * collector/bridge.yaml, and our Collector build's `validate` accepts both with the environment
 * the manifests give them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildCollector } from '../../scripts/build-collector.mjs';
import { repoRoot } from '../../scripts/test-env.mjs';

interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    template?: {
      spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] };
    };
  };
}

const manifests = parseAllDocuments(
  readFileSync(join(repoRoot, 'deploy/kubernetes/collector.yaml'), 'utf8'),
).map((doc) => doc.toJS() as Manifest);
const named = (kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`deploy/kubernetes/collector.yaml has no ${kind} ${name}`);
  return found;
};
const committed = (file: string) => readFileSync(join(repoRoot, 'collector', file), 'utf8');
/** The environment a workload gives its otelcol container (plain values; secrets as a stand-in). */
const envOf = (kind: string, name: string): Record<string, string> =>
  Object.fromEntries(
    (
      named(kind, name).spec?.template?.spec.containers.find((c) => c.name === 'otelcol')?.env ?? []
    ).map((e) => [e.name, e.value ?? 'from-the-cluster']),
  );

const dir = mkdtempSync(join(tmpdir(), 'jepa-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deploy/kubernetes/collector.yaml', () => {
  it.each([
    ['otelcol-agent', 'agent.yaml'],
    ['otelcol-gateway', 'gateway.yaml'],
  ])('ConfigMap %s is collector/%s verbatim', (name, file) => {
    expect(
      named('ConfigMap', name).data?.['config.yaml'],
      `regenerate the ConfigMap from collector/${file}`,
    ).toBe(committed(file));
  });

  it('ConfigMap jepa-bridge is collector/bridge.yaml verbatim', () => {
    expect(named('ConfigMap', 'jepa-bridge').data?.['bridge.yaml']).toBe(committed('bridge.yaml'));
  });

  it.each([
    ['DaemonSet', 'otelcol-agent', 'otelcol-agent'],
    ['StatefulSet', 'gateway', 'otelcol-gateway'],
  ])(
    '%s %s: our Collector build validates its config',
    (kind, workload, configMap) => {
      const binary = buildCollector();
      const file = join(dir, `${configMap}.yaml`);
      writeFileSync(file, named('ConfigMap', configMap).data!['config.yaml']!);
      const env = { ...process.env, ...envOf(kind, workload) };
      // The pod's own address, which the cluster fills in.
      if (kind === 'DaemonSet') env.JEPA_AGENT_HOST = '127.0.0.1';
      expect(() =>
        execFileSync(binary, ['validate', '--config', file], { env, stdio: 'pipe' }),
      ).not.toThrow();
    },
    600_000,
  );

  it('validate refuses a broken config (so the checks above can fail)', () => {
    const binary = buildCollector();
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      committed('agent.yaml').replace('routing_key: attributes', 'routing_key: no-such-key'),
    );
    expect(() => execFileSync(binary, ['validate', '--config', file], { stdio: 'pipe' })).toThrow(
      /routing_key|no-such-key/,
    );
  }, 600_000);
});
