/**
 * `jepa-loggers bridge` as a process: it says where it listens, writes what it receives, stops
 * cleanly on SIGINT, and refuses bad options by name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../collector/pipeline.js';
import { eventually } from '../support/processes.js';

const TOKEN = 'cli-token-never-shown';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jepa-bridge-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jepa-loggers bridge', () => {
  it('serves on 127.0.0.1, writes to its backends, and flushes and exits 0 on SIGINT', async () => {
    const config = join(dir, 'bridge.yaml');
    writeFileSync(config, 'backends: [console]\nconsole:\n  colored: false\n  stream: stdout\n');
    const bridge = startCli('bridge', ['bridge', '--port', '0', '--config', config], {
      env: { JEPA_BRIDGE_TOKEN: TOKEN },
    });
    try {
      const url = await eventually(
        'the bridge to say where it listens',
        () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(bridge.output())?.[1],
      );
      expect(bridge.output()).toContain('backends: console, bearer token required');
      const response = await fetch(`${url}/v1/logs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          resourceLogs: [
            {
              resource: {
                attributes: [{ key: 'jepa.run.id', value: { stringValue: 'clirun01' } }],
              },
              scopeLogs: [
                {
                  logRecords: [
                    {
                      eventName: 'jepa.metrics',
                      attributes: [
                        { key: 'jepa.step', value: { intValue: '12' } },
                        { key: 'train/loss', value: { doubleValue: 0.5 } },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      expect(response.status).toBe(200);
      await eventually('the console line', () =>
        /step 12 \| train\/loss 0\.5/.test(bridge.output()) ? true : undefined,
      );
      bridge.child.kill('SIGINT');
      expect(await bridge.exited).toBe(0);
      expect(bridge.output()).toContain('SIGINT, flushing and stopping');
      expect(bridge.output()).not.toContain(TOKEN);
    } finally {
      await bridge.stop();
    }
  });

  it.each([
    [['--port', 'http'], "--port 'http' must be an integer from 0 to 65535"],
    [['--max-body-bytes', '0'], "--max-body-bytes '0' must be an integer from 1"],
    [['--idle-timeout', 'soon'], "--idle-timeout 'soon' must be a positive number of seconds"],
    [['--config', '/nonexistent/bridge.yaml'], '/nonexistent/bridge.yaml'],
    [['--colour'], "Unknown option '--colour'"],
  ])('refuses %j naming the culprit', async (args, message) => {
    const bridge = startCli('bridge', ['bridge', ...args]);
    expect(await bridge.exited).toBe(1);
    expect(bridge.output()).toContain(message);
  });
});
