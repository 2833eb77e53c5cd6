/**
 * The demo: a short training run logged through `createLogger` to the console, and to OTLP when
 * an endpoint is configured or a Collector listens on the default local port.
 */
import { connect } from 'node:net';
import { otlpConfiguredByEnv } from '../exporters/otlp/otlp-backend.js';
import { createLogger } from '../loggers/multi-logger.js';

const DEFAULT_OTLP_HTTP = { host: '127.0.0.1', port: 4318 };

export async function runDemo(_args: readonly string[]): Promise<number> {
  const otlp =
    otlpConfiguredByEnv() || (await listening(DEFAULT_OTLP_HTTP.host, DEFAULT_OTLP_HTTP.port));
  const backends = ['console', ...(otlp ? ['otlp'] : [])];
  const logger = createLogger({
    backends,
    run_name: 'demo',
    console: { level: 'INFO' },
    ...(otlp && !otlpConfiguredByEnv()
      ? { otlp: { endpoint: `http://${DEFAULT_OTLP_HTTP.host}:${DEFAULT_OTLP_HTTP.port}` } }
      : {}),
  });
  logger.logHyperparams({ learning_rate: 0.1, steps: 200 });
  let loss = 2.5;
  for (let step = 0; step < 200; step++) {
    const lr = 0.1 * 0.5 ** Math.floor(step / 80);
    loss = loss * (1 - lr * 0.2) + 0.01 * Math.sin(step);
    if (step % 20 === 0 || step === 199) {
      logger.logMetrics({ 'train/loss': loss, 'train/lr': lr }, step);
    }
  }
  await logger.finish();
  process.stderr.write(`demo: run ${logger.identity.id} logged to ${backends.join(', ')}\n`);
  return 0;
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 300 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
