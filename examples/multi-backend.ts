/** One logger, three backends: the console, TensorBoard and a W&B run written offline. */
import { createLogger } from 'jepa-loggers';

const logger = createLogger({
  backends: ['console', 'tensorboard', 'wandb'],
  project: 'jepa-examples',
  run_name: 'multi-backend',
  console: { log_frequency: 25 },
  tensorboard: { log_dir: 'logs/tensorboard' },
  // Written to wandb/offline-run-*; upload it with `npx jepa-loggers wandb-sync wandb`.
  wandb: { mode: 'offline', tags: ['example'] },
});

logger.logHyperparams({ lr: 0.01, batch_size: 32 }, { 'hp/final_loss': 0.04 });
for (let step = 0; step < 100; step++) {
  const loss = Math.exp(-step / 30);
  logger.logMetrics({ 'train/loss': loss, 'train/lr': 0.01 * (1 - step / 100) }, step);
  if (step % 25 === 0) {
    // Weights that spread out as training goes on.
    const weights = Array.from({ length: 500 }, (_, i) => Math.sin(i) * (1 + step / 50));
    logger.logHistogram('weights/layer1', weights, step);
  }
}
// An 8 x 8 RGB gradient, and a note (markdown in TensorBoard, an HTML panel in W&B).
const data = Array.from({ length: 8 * 8 * 3 }, (_, i) => (i % 3 === 0 ? i : 255 - i) % 256);
logger.logImage('samples', { data, height: 8, width: 8, channels: 3 }, 99);
logger.logText('notes', 'The loss fell **smoothly**.', 99);
await logger.finish();
