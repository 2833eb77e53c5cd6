/**
 * The demo: a short training run logged through `createLogger` on embedded defaults: the console,
 * TensorBoard (`logs/tensorboard`), W&B offline (`wandb/`), and OTLP when an endpoint is
 * configured or a Collector listens on the default local port.
 */
import { connect } from 'node:net';
import { otlpConfiguredByEnv } from '../exporters/otlp/otlp-backend.js';
import { LoggerRegistry } from '../loggers/base-logger.js';
import { createLogger } from '../loggers/multi-logger.js';

const LOCAL_OTLP_HTTP = { host: '127.0.0.1', port: 4318 };

/** The embedded configuration (the seed's YAML shape). */
export function demoConfig(options: { otlpEndpoint?: string } = {}): Record<string, unknown> {
  const wanted = ['console', 'tensorboard', 'wandb'].filter((name) => LoggerRegistry.has(name));
  return {
    backends: options.otlpEndpoint ? [...wanted, 'otlp'] : wanted,
    project: 'jepa-demo',
    run_name: 'demo',
    console: { level: 'INFO', format: '%(asctime)s - %(levelname)s - %(message)s', colored: true },
    tensorboard: { log_dir: 'logs/tensorboard' },
    wandb: { mode: 'offline', project: 'jepa-demo' },
    ...(options.otlpEndpoint ? { otlp: { endpoint: options.otlpEndpoint } } : {}),
  };
}

export async function runDemo(_args: readonly string[]): Promise<number> {
  // createLogger adds otlp itself when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise look for a
  // Collector on this machine.
  const local = `http://${LOCAL_OTLP_HTTP.host}:${LOCAL_OTLP_HTTP.port}`;
  const otlpEndpoint =
    !otlpConfiguredByEnv() && (await listening(LOCAL_OTLP_HTTP.host, LOCAL_OTLP_HTTP.port))
      ? local
      : undefined;
  const logger = createLogger(demoConfig({ otlpEndpoint }));
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
  process.stderr.write(`demo: run ${logger.identity.id} finished\n`);
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
