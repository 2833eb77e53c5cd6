/**
 * `jepa-loggers bridge`: an OTLP/HTTP receiver that writes what the Collector forwards (training
 * events, metrics) to TensorBoard, W&B and the console. Runs until SIGINT or SIGTERM, then
 * flushes every run and exits.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BRIDGE_PORT, DEFAULT_MAX_BODY_BYTES } from '../bridge/http-server.js';
import { defaultBridgeBackends, startBridge } from '../bridge/start-bridge.js';

export const BRIDGE_USAGE = `Usage: jepa-loggers bridge [options]

Receives OTLP/HTTP (protobuf or JSON, gzip or not) on /v1/logs, /v1/metrics and /v1/traces and
writes training events and metrics to the configured backends, one run per resource and rank.

Options:
  --host <address>        interface to listen on (default 127.0.0.1)
  --port <n>              port (default ${DEFAULT_BRIDGE_PORT}; 0 picks a free one)
  --config <file.yaml>    backends and their sections, as in a logging config
                          (default: ${defaultBridgeBackends().join(', ') || 'console'})
  --token <token>         require "Authorization: Bearer <token>" (prefer JEPA_BRIDGE_TOKEN:
                          arguments are visible to other users of the machine)
  --max-body-bytes <n>    largest request body, compressed or not (default ${DEFAULT_MAX_BODY_BYTES})
  --idle-timeout <secs>   close (flush) a run after this long without data (default 1800)
  -h, --help              this text
`;

export async function runBridge(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      config: { type: 'string' },
      token: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'idle-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(BRIDGE_USAGE);
    return 0;
  }
  const running = await startBridge({
    host: values.host,
    port: integerOption('--port', values.port, 0, 65_535),
    config: values.config,
    token: values.token ?? (process.env.JEPA_BRIDGE_TOKEN || undefined),
    maxBodyBytes: integerOption('--max-body-bytes', values['max-body-bytes'], 1),
    idleTimeout: numberOption('--idle-timeout', values['idle-timeout']),
  });
  const auth = values.token || process.env.JEPA_BRIDGE_TOKEN ? ', bearer token required' : '';
  process.stderr.write(
    `jepa-loggers bridge: listening on ${running.server.url} (backends: ${running.backends.join(', ')}${auth})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`jepa-loggers bridge: ${signal}, flushing and stopping\n`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.stop();
  return 0;
}

function integerOption(
  name: string,
  raw: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} '${raw}' must be an integer from ${min} to ${max}`);
  }
  return value;
}

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} '${raw}' must be a positive number of seconds`);
  }
  return value;
}
