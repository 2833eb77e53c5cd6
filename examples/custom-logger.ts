/** A backend of your own beside the built-in ones, and middleware that filters rows. */
import {
  BaseLogger,
  createLogger,
  LoggerMiddleware,
  LoggerRegistry,
  type Metrics,
  type MiddlewareResult,
} from 'jepa-loggers';

/** Keeps rows in memory; a real one would send them to its service. */
class MemoryLogger extends BaseLogger {
  static readonly rows: { step?: number; metrics: Metrics }[] = [];
  logMetrics(metrics: Metrics, step?: number): void {
    MemoryLogger.rows.push({ step, metrics });
  }
}

/**
 * Keeps only the keys that contain one of the patterns (the Python API's MetricFilterMiddleware).
 */
class MetricFilter extends LoggerMiddleware {
  constructor(private readonly patterns: readonly string[]) {
    super();
  }
  processMetrics(metrics: Metrics, step?: number): MiddlewareResult {
    const kept = Object.entries(metrics).filter(([key]) =>
      this.patterns.some((p) => key.includes(p)),
    );
    return [Object.fromEntries(kept), step];
  }
}

LoggerRegistry.register('memory', MemoryLogger);
const logger = createLogger({ backends: ['console', 'memory'] });
logger.addMiddleware(new MetricFilter(['train', 'val']));
logger.logMetrics({ 'train/loss': 0.5, 'val/loss': 0.6, 'debug/grad_norm': 3.2 }, 1);
await logger.finish();
console.log('memory backend got', JSON.stringify(MemoryLogger.rows));
