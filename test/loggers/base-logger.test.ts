import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { AsyncLogger } from '../../src/loggers/async-logger.js';
import {
  BaseLogger,
  type LoggerConfig,
  LoggerFacade,
  LoggerRegistry,
  type Metrics,
} from '../../src/loggers/base-logger.js';
import { ConditionalLogger } from '../../src/loggers/conditional.js';
import { ConsoleLogger } from '../../src/loggers/console-logger.js';
import { LoggerWrapper } from '../../src/loggers/logger-wrapper.js';
import { LoggerMiddleware } from '../../src/loggers/middleware.js';
import { createLogger, MultiLogger } from '../../src/loggers/multi-logger.js';
import { OtlpLogger } from '../../src/loggers/otlp-logger.js';
import { StructuredLogger } from '../../src/loggers/structured.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { TensorBoardLogger } from '../../src/loggers/tensorboard-logger.js';
import { WandbLogger } from '../../src/loggers/wandb-logger.js';
import type { FinishOptions } from '../../src/telemetry/training-run.js';
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

/** Doubles every value and counts the rows it saw, so that running twice would show. */
class Doubling extends LoggerMiddleware {
  seen = 0;
  processMetrics(metrics: Metrics, step?: number) {
    this.seen++;
    const doubled = Object.entries(metrics).map(([key, value]) => [key, (value as number) * 2]);
    return [Object.fromEntries(doubled), step] as const;
  }
}

/** The hook way: implements writeMetrics and writeText. */
class HookLogger extends LoggerFacade {
  readonly calls: string[] = [];
  protected writeMetrics(metrics: Metrics, step?: number): void {
    this.calls.push(`row ${step} ${JSON.stringify(metrics)}`);
  }
  protected override writeText(tag: string, text: string, step?: number): void {
    this.calls.push(`text ${step} ${tag} ${text}`);
  }
  protected override async onFinish(options: FinishOptions): Promise<void> {
    this.calls.push(`finish ${options.exitCode ?? 0}`);
  }
}

/** A wrapper that changes nothing: every call goes to the wrapped logger. */
class PassingWrapper extends LoggerWrapper {}

describe('BaseLogger and the facade', () => {
  it('a LoggerFacade subclass gets middleware before writeMetrics, and its public methods call its hooks', async () => {
    const middleware = new Doubling();
    const logger = new HookLogger({}, new CollectingDiagnostics()).addMiddleware(middleware);
    logger.logMetrics({ loss: 0.25 }, 3);
    logger.logText('notes', 'hi', 3);
    logger.logHistogram('w', [1]);
    await logger.finish({ exitCode: 2 });
    expect(logger.calls).toEqual(['row 3 {"loss":0.5}', 'text 3 notes hi', 'finish 2']);
    expect(middleware.seen).toBe(1);
  });

  it('a subclass of a Python-API-form logger that calls super.logMetrics runs the middleware once', () => {
    class Tagged extends CustomLogger {
      override logMetrics(metrics: Metrics, step?: number): void {
        super.logMetrics({ ...metrics, tagged: 1 }, step);
      }
    }
    const middleware = new Doubling();
    const logger = new Tagged({}).addMiddleware(middleware);
    logger.logMetrics({ loss: 1 }, 4);
    expect(logger.rows).toEqual([[{ loss: 2, tagged: 1 }, 4]]);
    expect(middleware.seen).toBe(1);
  });

  it("passes on what a Python-API-form logMetrics returns (an async one's promise)", async () => {
    class AsyncRows extends BaseLogger {
      readonly rows: Metrics[] = [];
      override async logMetrics(metrics: Metrics): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 1));
        this.rows.push(metrics);
      }
    }
    const logger = new AsyncRows({});
    const returned: unknown = logger.logMetrics({ loss: 1 });
    expect(returned).toBeInstanceOf(Promise);
    await returned;
    expect(logger.rows).toEqual([{ loss: 1 }]);
  });

  it("a wrapper runs its own middleware, then the wrapped logger's", () => {
    const inner = new CustomLogger({}).addMiddleware(new MetricFilterMiddleware(['train']));
    const outerMiddleware = new Doubling();
    const wrapper = new PassingWrapper({}, inner).addMiddleware(outerMiddleware);
    wrapper.logMetrics({ 'train/loss': 1, lr: 0.5 }, 2);
    wrapper.logAtCurrentStep({ 'train/time': 3 });
    expect(inner.rows).toEqual([
      [{ 'train/loss': 2 }, 2],
      [{ 'train/time': 3 }, undefined],
    ]);
    expect(outerMiddleware.seen).toBe(1);
  });

  it('no built-in logger overrides a public method of the facade: they implement hooks', () => {
    const publicMethods = [
      'logMetrics',
      ...Object.getOwnPropertyNames(BaseLogger.prototype).filter(
        (name) => name !== 'constructor' && name !== 'addMiddleware',
      ),
    ];
    expect(publicMethods.every((name) => Object.hasOwn(LoggerFacade.prototype, name))).toBe(true);
    expect(publicMethods).toEqual(
      expect.arrayContaining(['logMetrics', 'logHistogram', 'logAtCurrentStep', 'finish']),
    );
    const builtIns = [
      TelemetryLogger,
      ConsoleLogger,
      TensorBoardLogger,
      WandbLogger,
      OtlpLogger,
      MultiLogger,
      LoggerWrapper,
      AsyncLogger,
      ConditionalLogger,
      StructuredLogger,
    ];
    const overrides = builtIns.flatMap((loggerClass) =>
      publicMethods
        .filter((name) => Object.hasOwn(loggerClass.prototype, name))
        .map((name) => `${loggerClass.name}.${name}`),
    );
    expect(overrides).toEqual([]);
  });
});
