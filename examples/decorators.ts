/** Decorated methods: each call is an OTel span, timed (`time/<name>`), exceptions reported. */
import { createLogger, logExceptions, logExecutionTime } from 'jepa-loggers';

const logger = createLogger({ backends: ['console'] });

class Trainer {
  step = 0;

  @logExecutionTime(logger)
  @logExceptions(logger)
  trainingStep(batch: readonly number[]): number {
    if (batch.some(Number.isNaN)) throw new Error('a NaN in the batch');
    const loss = batch.reduce((sum, x) => sum + x * x, 0) / batch.length;
    logger.logMetrics({ 'train/loss': loss }, this.step++);
    return loss;
  }
}

const trainer = new Trainer();
for (const batch of [
  [1, 2],
  [0.5, 1],
  [Number.NaN, 1],
  [0.1, 0.2],
]) {
  try {
    trainer.trainingStep(batch);
  } catch {
    // Reported by logExceptions (span, counter, console); a careful loop skips the batch.
  }
}
await logger.finish();
