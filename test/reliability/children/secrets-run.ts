/**
 * Child of the secrets test: one run with every secret the package handles, through every path
 * that could show one, printing whatever a user could see. Secrets come from the environment:
 *   WANDB_API_KEY   the W&B key (online against GOOD_URL, and offline)
 *   OTLP_TOKEN      an extra OTLP header given in the otlp section (`otlp.headers`)
 *   BRIDGE_TOKEN    the bridge's bearer token, the OTLP Authorization header
 *   ENV_TOKEN       an Authorization header in OTEL_EXPORTER_OTLP_HEADERS (the bridge refuses it)
 *   CALL_SECRET     passed to a logFunctionCalls function as `apiKey`, `token` and nested keys
 * and RUN_ROOT, GOOD_URL, BRIDGE_URL say where to write and send.
 *   vite-node secrets-run.ts
 */
import { inspect } from 'node:util';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { LoggingConfig } from '../../../src/config/logging-config.js';
import type { LoggingConfigInput } from '../../../src/config/schema.js';
import {
  logExceptions,
  logExecutionTime,
  logFunctionCalls,
} from '../../../src/loggers/decorators.js';
import { createLogger } from '../../../src/loggers/multi-logger.js';
import { OtlpLogger } from '../../../src/loggers/otlp-logger.js';
import { WandbLogger } from '../../../src/loggers/wandb-logger.js';
import { keepingBackend } from '../../support/keeping-backend.js';

const env = process.env;
const { WANDB_API_KEY, OTLP_TOKEN, BRIDGE_TOKEN, ENV_TOKEN, CALL_SECRET } = env;
const { RUN_ROOT, GOOD_URL, BRIDGE_URL } = env;
const { spans, logs, backend: capture } = keepingBackend();
const pixels = { data: new Uint8Array(8 * 8 * 3).fill(9), width: 8, height: 8, channels: 3 };

const config: LoggingConfigInput = {
  backends: ['console', 'tensorboard', 'wandb', 'otlp'],
  run_name: 'secrets',
  handle_signals: false,
  console: { stream: 'stdout', colored: false, level: 'DEBUG' },
  tensorboard: { log_dir: `${RUN_ROOT}/tb` },
  wandb: {
    mode: 'online',
    dir: RUN_ROOT,
    base_url: GOOD_URL,
    project: 'secrets',
    stream_interval: 0.2,
  },
  otlp: {
    endpoint: BRIDGE_URL,
    export_interval: 0.5,
    headers: { Authorization: `Bearer ${BRIDGE_TOKEN}`, 'x-team-token': OTLP_TOKEN ?? '' },
  },
};

async function main() {
  const logger = createLogger(config, { backends: [capture()] });
  const train = logExecutionTime(logger)(
    logFunctionCalls(logger)(function trainStep(
      batch: number,
      apiKey: string,
      token: string,
      options: Record<string, unknown>,
    ) {
      return { loss: 1 / (batch + 1), credentials: { apiKey, password: token }, options };
    }),
  );
  const failing = logExceptions(logger)(function login(_apiKey: string) {
    throw new Error('login refused');
  });
  for (let step = 0; step < 20; step++) {
    train(step, CALL_SECRET!, CALL_SECRET!, {
      token: CALL_SECRET,
      nested: { wandb_key: CALL_SECRET },
    });
    logger.logMetrics({ loss: 1 / (step + 1) }, step);
  }
  try {
    failing(CALL_SECRET!);
  } catch (error) {
    console.log(`caught: ${(error as Error).message}`);
  }
  logger.logHyperparams({ lr: 0.1 });
  logger.logImage('sample', pixels, 19);
  logger.logText('notes', 'plain text', 19);
  await logger.logModel(Buffer.from('weights'), 'model');
  await logger.finish();
  // What a user sees who prints the logger.
  console.log(inspect(logger, { depth: 12 }));

  const offline = new WandbLogger(
    { mode: 'offline', dir: RUN_ROOT },
    { env: { WANDB_API_KEY }, settings: { handle_signals: false } },
  );
  offline.logMetrics({ loss: 1 }, 0);
  await offline.finish();

  // The environment's header: the bridge refuses it (401), and the refusal is reported. (The OTel
  // exporters read these variables from the process's environment.)
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = BRIDGE_URL;
  process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer ${ENV_TOKEN}`;
  const refused = new OtlpLogger({ export_interval: 0.5 }, { settings: { handle_signals: false } });
  refused.logMetrics({ loss: 2 }, 0);
  await refused.finish();
  console.log(inspect(refused, { depth: 12 }));

  // Config dumps, with the secrets given in the config and in the environment.
  console.log(
    JSON.stringify(
      LoggingConfig.fromDict({
        ...config,
        wandb: { ...config.wandb, api_key: WANDB_API_KEY },
      }).toDict(),
    ),
  );
  console.log(
    JSON.stringify(
      LoggingConfig.fromDict({ backends: ['wandb'] }, { env: { WANDB_API_KEY } }).toDict(),
    ),
  );

  const span = (s: ReadableSpan) => ({
    name: s.name,
    attributes: s.attributes,
    events: s.events,
    status: s.status,
    resource: s.resource.attributes,
  });
  const record = (r: ReadableLogRecord) => ({
    eventName: r.eventName,
    body: r.body instanceof Uint8Array ? Buffer.from(r.body).toString('latin1') : r.body,
    attributes: r.attributes,
    resource: r.resource.attributes,
  });
  console.log(`SPANS ${JSON.stringify(spans.map(span))}`);
  console.log(`LOGS ${JSON.stringify(logs.map(record))}`);
}

main().catch((error) => {
  console.log(`child error: ${(error as Error).stack}`);
  process.exitCode = 1;
});
