import { createLogger } from 'jepa-loggers';

const logger = createLogger({
  backends: ['console', 'tensorboard'],
  run_name: 'quickstart',
  console: { log_frequency: 10 },
  tensorboard: { log_dir: 'logs/tensorboard' },
});

for (let step = 0; step < 100; step++) {
  const loss = Math.exp(-step / 30);
  logger.logMetrics({ 'train/loss': loss, 'train/accuracy': 1 - loss / 2 }, step);
}
await logger.finish();
// Now: tensorboard --logdir logs/tensorboard
