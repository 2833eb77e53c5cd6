import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import {
  BaseLogger,
  type LoggerConfig,
  LoggerRegistry,
  type Metrics,
} from '../../src/loggers/base-logger.js';
import { LoggerMiddleware } from '../../src/loggers/middleware.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { MetricFilterMiddleware } from '../support/metric-filter-middleware.js';

// Seed, "Base Logger": a custom logger subclasses BaseLogger and implements logMetrics.
class CustomLogger extends BaseLogger {
  readonly rows: [Metrics, number | undefined][] = [];
  constructor(config: LoggerConfig) {
    super(config);
    // Custom initialization
  }
  logMetrics(metrics: Metrics, step?: number): void {
    this.rows.push([metrics, step]);
  }
}

describe('seed: Base Logger', () => {
  it('a subclass keeps its config and receives rows; media and finish are optional', async () => {
    const logger = new CustomLogger({ name: 'mine' });
    logger.logMetrics({ loss: 0.5 }, 3);
    logger.logHistogram('w', [1, 2]);
    await logger.finish();
    expect(logger.config).toEqual({ name: 'mine' });
    expect(logger.rows).toEqual([[{ loss: 0.5 }, 3]]);
  });
});

describe('seed: Logger Registry', () => {
  it('registers a custom logger and creates loggers by name', () => {
    LoggerRegistry.register('custom', CustomLogger);
    const custom = LoggerRegistry.create('custom', { a: 1 });
    expect(custom).toBeInstanceOf(CustomLogger);
    expect(custom.config).toEqual({ a: 1 });
    expect(LoggerRegistry.names()).toEqual(expect.arrayContaining(['console', 'otlp', 'custom']));
  });

  it('names the known loggers and suggests the nearest for an unknown name', () => {
    expect(() => LoggerRegistry.create('consle', {})).toThrow(
      /Unknown logger backend 'consle' \(did you mean 'console'\?\).*registered: .*console/,
    );
  });

  it('rejects a registration that is not a class', () => {
    expect(() => LoggerRegistry.register('bad', 42 as never)).toThrow(/expected a logger class/);
    expect(() => LoggerRegistry.register('', CustomLogger)).toThrow(/non-empty string/);
  });
});

// Seed, "Custom Logger Development": CustomAPILogger posts each row to an API with a bearer token
// and warns through self.logger when the API answers with an error. Ported: fetch is async, so
// requests are awaited by finish().
class CustomAPILogger extends BaseLogger {
  private readonly apiEndpoint: string;
  private readonly apiKey: string;
  private readonly pending: Promise<void>[] = [];

  constructor(config: LoggerConfig) {
    super(config);
    this.apiEndpoint = String(config.api_endpoint);
    this.apiKey = String(config.api_key);
  }

  logMetrics(metrics: Metrics, step?: number): void {
    const payload = { metrics, step, timestamp: Date.now() / 1000 };
    this.pending.push(
      fetch(this.apiEndpoint, {
        method: 'POST',
        body: JSON.stringify(payload),
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.apiKey}` },
      }).then((response) => {
        if (!response.ok) this.logger.warning(`Failed to log metrics: ${response.status}`);
      }),
    );
  }

  override async finish(): Promise<void> {
    await Promise.all(this.pending);
  }
}

describe('seed: Custom Logger Development', () => {
  const received: {
    auth: string | undefined;
    body: { metrics: Metrics; step: number; timestamp: number };
  }[] = [];
  let url = '';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const parsed = JSON.parse(body);
      received.push({ auth: request.headers.authorization, body: parsed });
      response.statusCode = parsed.metrics.fail ? 500 : 200;
      response.end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    LoggerRegistry.register('custom_api', CustomAPILogger);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts rows with a bearer token, warns on a failed request, and works from createLogger', async () => {
    received.length = 0;
    const diagnostics = new CollectingDiagnostics();
    const logger = new CustomAPILogger({ api_endpoint: url, api_key: 'token-123' });
    logger.logger = diagnostics;
    logger.logMetrics({ loss: 0.5 }, 7);
    logger.logMetrics({ fail: 1 }, 8);
    await logger.finish();
    expect(received.map((r) => [r.auth, r.body.metrics, r.body.step])).toEqual([
      ['Bearer token-123', { loss: 0.5 }, 7],
      ['Bearer token-123', { fail: 1 }, 8],
    ]);
    expect(received[0]!.body.timestamp).toBeGreaterThan(1.7e9);
    expect(diagnostics.at('WARNING')).toEqual(['Failed to log metrics: 500']);

    received.length = 0;
    const multi = createLogger<'custom_api'>(
      { backends: ['custom_api'], custom_api: { api_endpoint: url, api_key: 'token-456' } },
      { settings: { handle_signals: false } },
    );
    multi.logMetrics({ acc: 0.9 }, 1);
    await multi.finish();
    expect(received.map((r) => [r.auth, r.body.metrics, r.body.step])).toEqual([
      ['Bearer token-456', { acc: 0.9 }, 1],
    ]);
  });
});

class DropOddSteps extends LoggerMiddleware {
  processMetrics(metrics: Metrics, step?: number) {
    return step !== undefined && step % 2 === 1 ? null : ([metrics, step] as const);
  }
}

describe('seed: Logger Middleware', () => {
  it('filters keys before any logger writes them, a user logger included', () => {
    const logger = new CustomLogger({});
    logger.addMiddleware(new MetricFilterMiddleware(['train', 'val']));
    logger.logMetrics({ 'train/loss': 0.5, 'val/loss': 0.6, lr: 0.1 }, 10);
    expect(logger.rows).toEqual([[{ 'train/loss': 0.5, 'val/loss': 0.6 }, 10]]);
  });

  it('runs middleware in order and lets one drop the row', () => {
    const logger = new CustomLogger({})
      .addMiddleware(new DropOddSteps())
      .addMiddleware(new MetricFilterMiddleware(['train']));
    for (let step = 0; step < 4; step++) logger.logMetrics({ 'train/x': step, other: 1 }, step);
    expect(logger.rows).toEqual([
      [{ 'train/x': 0 }, 0],
      [{ 'train/x': 2 }, 2],
    ]);
  });
});
