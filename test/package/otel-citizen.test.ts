/**
 * Living inside an application's own OpenTelemetry, on both OTel JS lines. Scratch projects
 * install the packed package beside a real `@opentelemetry/sdk-node` (2.x on this Node, 3.x on
 * Node 22 from the npm `node` package), and `test/fixtures/otel-app/app.mjs` runs an app span, a
 * decorated step that throws once, 100 rows and an HTTP call under the app's HTTP
 * instrumentation, with the logger created before and after `sdk.start()`. The app's in-memory
 * exporters must see everything; TensorBoard's reader must see every row; our own OTLP backend
 * (a capture decoding its requests) must see none of the app's spans.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the test setup, without declarations
import { nodeBinary } from '../../scripts/node-binaries.mjs';
import { decodeExportRequest } from '../../src/bridge/otlp-codec.js';
import { accumulate } from '../exporters/tensorboard/readers.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { readWandbFile } from '../exporters/wandb/wandb-python.js';
import { repoRoot } from '../support/dist.js';
import { type Capture, startCapture } from '../support/otlp-capture.js';
import { packedTarball, pathWith, run, scratchProject } from '../support/scratch-project.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
const TYPESCRIPT = [
  `typescript@${manifest.devDependencies.typescript}`,
  `@types/node@${manifest.devDependencies['@types/node']}`,
];

/** The `NodeSDK` example of docs/otel.md: the TypeScript block that starts one. */
function docsExample(): string {
  const doc = readFileSync(join(repoRoot, 'docs/otel.md'), 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  return blocks.find((block) => block.includes('new NodeSDK'))!;
}

const LINES = {
  '2.x': {
    node: process.execPath,
    packages: [
      '@opentelemetry/api@1.9.0',
      '@opentelemetry/sdk-node@0.223.0',
      '@opentelemetry/sdk-trace@2.12.0',
      '@opentelemetry/sdk-metrics@2.12.0',
      '@opentelemetry/sdk-logs@0.223.0',
      '@opentelemetry/instrumentation-http@0.223.0',
      ...TYPESCRIPT,
    ],
  },
  '3.x': {
    node: (nodeBinary as (major: number) => string)(22),
    packages: [
      '@opentelemetry/api@1.10.0',
      '@opentelemetry/sdk-node@0.301.0',
      '@opentelemetry/sdk-trace@3.1.0',
      '@opentelemetry/sdk-metrics@3.1.0',
      '@opentelemetry/sdk-logs@3.1.0',
      '@opentelemetry/instrumentation-http@0.301.0',
      ...TYPESCRIPT,
    ],
  },
} as const;
type Line = keyof typeof LINES;

interface AppSummary {
  spans: {
    name: string;
    traceId: string;
    spanId: string;
    parent?: string;
    events: string[];
    scope?: string;
  }[];
  metrics: Record<string, number | undefined>;
  callDurations?: number;
  rows: [number, number][];
  events: string[];
  diagnostics: string[];
}

let http: Server;
let httpUrl: string;
let otlp: Capture;

beforeAll(async () => {
  http = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/data`;
  otlp = await startCapture();
});

afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
  await otlp.close();
});

describe.each(Object.keys(LINES) as Line[])('an app on the OTel JS %s line', (line) => {
  const { node, packages } = LINES[line];
  let project: string;

  beforeAll(async () => {
    if (!existsSync(node)) throw new Error(`${node} is missing: npm test installs it (setup)`);
    project = await scratchProject(`otel-${line}`, [await packedTarball(), ...packages], node);
    copyFileSync(join(repoRoot, 'test/fixtures/otel-app/app.mjs'), join(project, 'app.mjs'));
  }, 300_000);

  it('installs with one @opentelemetry/api, the app’s', async () => {
    const listed = await run('npm', ['ls', '--all', '--parseable', '@opentelemetry/api'], project, {
      PATH: pathWith(node),
    });
    expect(listed.code, listed.stderr).toBe(0);
    const copies = new Set(listed.stdout.trim().split('\n'));
    expect([...copies]).toEqual([join(project, 'node_modules/@opentelemetry/api')]);
  });

  it.each(['sdk-first', 'logger-first'])('logger and SDK in the order %s', async (order) => {
    const logDir = tempDir('jepa-otel-tb');
    const before = otlp.requests.length;
    const result = await run(node, ['app.mjs', order, logDir, httpUrl, otlp.url], project);
    expect(result.code, result.stderr).toBe(0);
    const app = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as AppSummary;

    // The app's own spans are all exported, its HTTP call among them.
    const named = (name: string) => app.spans.filter((span) => span.name === name);
    const [train] = named('app.train');
    expect(train).toBeDefined();
    expect(named('app.after-training')).toHaveLength(1);
    const httpSpans = app.spans.filter(
      (span) => span.scope === '@opentelemetry/instrumentation-http',
    );
    expect(httpSpans).toHaveLength(1);
    // The decorated steps: children of the app's span, the failed one with its exception event.
    const steps = named('trainingStep');
    expect(steps).toHaveLength(100);
    for (const step of steps) {
      expect(step.traceId).toBe(train!.traceId);
      expect(step.parent).toBe(train!.spanId);
    }
    expect(steps.filter((step) => step.events.includes('exception'))).toHaveLength(1);
    // Every metric key is an instrument of the app's meter; so are the step and call durations.
    expect(app.metrics['train/loss']).toBeCloseTo(Math.exp(-99 / 30), 12);
    expect(app.metrics['jepa.step']).toBe(99);
    expect(app.callDurations).toBe(100);
    // The app's log exporter has every row, in order, and the other training events.
    expect(app.rows.map(([step]) => step)).toEqual([...Array(100).keys()]);
    expect(app.rows[50]![1]).toBeCloseTo(Math.exp(-50 / 30), 12);
    expect(app.events).toEqual(expect.arrayContaining(['jepa.exception', 'jepa.run.end']));
    // No registration errors (nor any other) from OTel's diag logger.
    expect(app.diagnostics).toEqual([]);

    // Our own backends still get every row, exactly once.
    const tensorboard = await accumulate(join(logDir, 'scratch'));
    expect(tensorboard.scalars['train/loss']!.map(([step]) => step)).toEqual([
      ...Array(100).keys(),
    ]);
    // Our OTLP backend sent the rows, and none of the app's spans (nor ours: they are the app's).
    const ours = otlp.requests.slice(before);
    const spansSent = ours
      .filter((request) => request.path === '/v1/traces')
      .flatMap((request) => {
        const body = decodeExportRequest('traces', request.body, 'protobuf') as {
          resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
        };
        return (body.resourceSpans ?? []).flatMap((r) =>
          (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []),
        );
      });
    expect(spansSent).toEqual([]);
    expect(ours.some((request) => request.path === '/v1/logs')).toBe(true);
  });

  it("runs the NodeSDK example of docs/otel.md: our exporters in the app's SDK", async () => {
    writeFileSync(join(project, 'docs-example.ts'), docsExample());
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          outDir: 'out',
        },
        include: ['docs-example.ts'],
      }),
    );
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    const compiled = await run(node, [tsc, '-p', 'tsconfig.json'], project);
    expect(compiled.code, compiled.stdout + compiled.stderr).toBe(0);
    const result = await run(node, ['out/docs-example.js'], project);
    expect(result.code, result.stderr).toBe(0);

    const tensorboard = await accumulate(join(project, 'logs/tensorboard/node-sdk'));
    const loss = tensorboard.scalars['train/loss']!;
    expect(loss.map(([step]) => step)).toEqual([...Array(100).keys()]);
    expect(loss.map(([, value]) => value)).toEqual(
      loss.map(([step]) => Math.fround(Math.exp(-step / 30))),
    );
    // The app's own counter, collected at shutdown, at the latest row's step.
    expect(tensorboard.scalars['app.batches']?.at(-1)?.slice(0, 2)).toEqual([99, 100]);

    const runDir = readdirSync(join(project, 'logs/wandb')).find((name) =>
      name.endsWith('-nodesdk1'),
    )!;
    const records = await readWandbFile(join(project, 'logs/wandb', runDir, 'run-nodesdk1.wandb'));
    const history = records
      .filter((r) => r.record.history)
      .map((r) =>
        Object.fromEntries(
          (r.record.history.item as { key: string; value_json: string }[]).map((item) => [
            item.key,
            JSON.parse(item.value_json) as number,
          ]),
        ),
      );
    expect(history.map((row) => row._step)).toEqual([...Array(100).keys()]);
    expect(history.map((row) => row['train/loss'])).toEqual(
      history.map((row) => Math.exp(-(row._step as number) / 30)),
    );
    expect(records.some((r) => r.record.exit)).toBe(true);
  });
});
