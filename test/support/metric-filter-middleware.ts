import type { Metrics } from '../../src/loggers/base-logger.js';
import { LoggerMiddleware } from '../../src/loggers/middleware.js';

/** The seed's `MetricFilterMiddleware` ("Logger Middleware"), ported as written. */
export class MetricFilterMiddleware extends LoggerMiddleware {
  constructor(private readonly filterPatterns: string[]) {
    super();
  }

  processMetrics(metrics: Metrics, step?: number) {
    const filteredMetrics: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(metrics)) {
      if (this.filterPatterns.some((pattern) => key.includes(pattern)))
        filteredMetrics[key] = value;
    }
    return [filteredMetrics, step] as const;
  }
}
