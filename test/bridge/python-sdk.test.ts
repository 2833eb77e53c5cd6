/**
 * What the standard OTel Python SDK sends (OTLP/HTTP protobuf, gzip or not) reaches the bridge's
 * backends: `jepa.metrics` records as rows, an `event.name`-attribute record as an event, gauges
 * as rows at their `jepa.step`, and the failed span is counted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge } from '../../src/bridge/bridge.js';
import { type BridgeServer, startBridgeServer } from '../../src/bridge/http-server.js';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { runPythonJson } from '../support/python.js';
import { RecordingBackends } from './recording-backend.js';

const SCRIPT = readFileSync(join(import.meta.dirname, 'python', 'send_otlp.py'), 'utf8');
const TOKEN = 'python-token';

let backends: RecordingBackends;
let bridge: Bridge;
let server: BridgeServer;
beforeAll(async () => {
  backends = new RecordingBackends();
  const diagnostics = new CollectingDiagnostics();
  bridge = new Bridge({
    createBackends: backends.create,
    settings: LoggingConfig.fromDict({ backends: [] }).global,
    diagnostics,
  });
  server = await startBridgeServer(bridge, { port: 0, token: TOKEN, diagnostics });
});
afterAll(async () => {
  await server.close();
  await bridge.shutdown();
});

describe.each(['none', 'gzip'])('the OTel Python SDK, compression %s', (compression) => {
  const runId = compression === 'gzip' ? 'pygzip01' : 'pyplain1';

  it('delivers rows, events and gauge rows to the run of its resource', async () => {
    const spansBefore = bridge.stats.spans;
    const failedBefore = bridge.stats.failedSpans;
    const result = await runPythonJson<{ sent: boolean }>(SCRIPT, [
      server.url,
      runId,
      '1',
      compression,
      TOKEN,
    ]);
    expect(result.sent).toBe(true);
    await bridge.flush();

    const runs = backends.runs.filter((r) => r.identity.id === runId);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.identity).toMatchObject({
      name: `py-${runId}`,
      project: 'python-training',
      rank: 1,
    });
    const records = runs[0]!.records;
    const fromRecords = records.filter(
      (r) => r.eventName === 'jepa.metrics' && r.instrumentationScope.name === 'train.py',
    );
    expect(fromRecords.map((r) => r.attributes)).toEqual(
      [0, 1, 2, 3, 4].map((step) => ({ 'jepa.step': step, 'train/loss': 1 / (step + 1) })),
    );
    const text = records.find((r) => r.eventName === 'jepa.text');
    expect(text?.body).toBe('from python');
    expect(text?.attributes['jepa.step']).toBe(4);

    const fromGauges = records.filter(
      (r) => r.eventName === 'jepa.metrics' && r.instrumentationScope.name !== 'train.py',
    );
    // Two collections while running, and the last one again at shutdown (cumulative gauges).
    expect(fromGauges.map((r) => r.attributes)).toEqual([
      { 'gpu/util': 0.2, 'jepa.step': 2 },
      { 'gpu/util': 0.4, 'jepa.step': 4 },
      { 'gpu/util': 0.4, 'jepa.step': 4 },
    ]);
    expect(bridge.stats.spans - spansBefore).toBe(1);
    expect(bridge.stats.failedSpans - failedBefore).toBe(1);
  });
});
