import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { LoggingConfig, parseSection } from '../../src/config/logging-config.js';
import { configurationKeys } from '../../src/config/reference.js';
import { MAX_SECONDS } from '../../src/config/sections/common.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { TEST_API_KEY } from '../exporters/wandb/wandb-python.js';
import { FakeWandbServer } from '../support/wandb-server.js';

const SEED_YAML = join(import.meta.dirname, '../fixtures/config/seed-logging.yaml');

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'jepa-config-')), 'logging.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe("seed: Configuration (the seed's logging: YAML, unchanged)", () => {
  it('loads every value, with no warnings', () => {
    const diagnostics = new CollectingDiagnostics();
    const config = LoggingConfig.fromYaml(SEED_YAML, { env: {}, diagnostics });
    expect(diagnostics.messages).toEqual([]);
    expect(config.global).toMatchObject({
      level: 'INFO',
      backends: ['wandb', 'tensorboard', 'console'],
      log_frequency: 10,
      save_frequency: 50,
    });
    expect(config.section('wandb')).toMatchObject({
      project: 'jepa-experiments',
      entity: 'my-team',
      tags: ['baseline', 'transformer'],
      log_frequency: 10,
      log_gradients: false,
      log_model: true,
    });
    expect(config.section('tensorboard')).toMatchObject({
      log_dir: 'logs/tensorboard',
      log_frequency: 10,
      log_images: true,
      log_histograms: true,
    });
    expect(config.section('console')).toMatchObject({
      level: 'INFO',
      format: '%(asctime)s - %(levelname)s - %(message)s',
      colored: true,
    });
  });

  it('fills defaults for what the file leaves out', () => {
    const config = LoggingConfig.fromDict({}, { env: {} });
    expect(config.backends).toEqual(['console']);
    expect(config.global.flush_timeout).toBe(10);
    expect(config.section('tensorboard').flush_secs).toBe(5);
  });
});

describe('unknown keys', () => {
  it('warn with the file, the line and the nearest known key, and are ignored', () => {
    const file = yamlFile(
      'logging:\n  backends: [console]\n  log_frequncy: 10\n  console:\n    colord: true\n',
    );
    const diagnostics = new CollectingDiagnostics();
    const config = LoggingConfig.fromYaml(file, { env: {}, diagnostics });
    expect(config.warnings.map((w) => [w.path, w.line, w.suggestion])).toEqual([
      ['log_frequncy', 3, 'log_frequency'],
      ['console.colord', 5, 'colored'],
    ]);
    expect(diagnostics.at('WARNING')).toEqual([
      `config: ${file}:3: log_frequncy: unknown key, ignored (did you mean 'log_frequency'?)`,
      `config: ${file}:5: console.colord: unknown console key, ignored (did you mean 'colored'?)`,
    ]);
  });
});

describe('unknown keys with control characters', () => {
  it('are warned about on one line, escaped', () => {
    const diagnostics = new CollectingDiagnostics();
    LoggingConfig.load({ 'x\nERROR - run finished\u001b[2J': 1 }, { env: {}, diagnostics });
    expect(diagnostics.at('WARNING')).toEqual([
      'config: x\\nERROR - run finished\\x1b[2J: unknown key, ignored',
    ]);
  });
});

describe('unknown keys, by the thousand', () => {
  it('warn about the first ten one by one, then count the rest in one line', () => {
    const keys = Array.from({ length: 9_000 }, (_, i) => `  stray_${i}: ${i}`);
    const file = yamlFile(`logging:\n${keys.join('\n')}\n  console:\n    colord: true\n`);
    const diagnostics = new CollectingDiagnostics();
    const config = LoggingConfig.fromYaml(file, { env: {}, diagnostics });
    expect(config.warnings).toHaveLength(9_001);
    const lines = diagnostics.at('WARNING');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe(`config: ${file}:2: stray_0: unknown key, ignored`);
    expect(lines[9]).toBe(`config: ${file}:11: stray_9: unknown key, ignored`);
    expect(lines[10]).toBe(
      `config: 8991 more unknown keys ignored in ${file} (jepa-loggers validate-config lists them all)`,
    );
  });

  it('from a dict too', () => {
    const input: Record<string, number> = { strays: 1 };
    for (let i = 0; i < 20_000; i++) input[`stray_${i}`] = i;
    const diagnostics = new CollectingDiagnostics();
    const config = LoggingConfig.fromDict(input, { env: {}, diagnostics });
    expect(config.warnings).toHaveLength(20_001);
    expect(diagnostics.at('WARNING')).toHaveLength(11);
    expect(diagnostics.at('WARNING').at(-1)).toBe(
      'config: 19991 more unknown keys ignored (jepa-loggers validate-config lists them all)',
    );
  });
});

describe('errors', () => {
  it('lists every wrong type at once, naming key, line and value', () => {
    const file = yamlFile(
      'logging:\n  backends: [console]\n  log_frequency: "ten"\n  console:\n    colored: 3\n',
    );
    const error = problemsOf(() => LoggingConfig.fromYaml(file, { env: {} }));
    expect(error.problems.map((p) => [p.path, p.line])).toEqual([
      ['log_frequency', 3],
      ['console.colored', 5],
    ]);
    expect(error.message).toMatch(/log_frequency: expected number, got string "ten"/);
    expect(error.message).toMatch(/console\.colored: expected boolean, got number 3/);
  });

  it('names an unknown backend and suggests one', () => {
    const error = problemsOf(() =>
      LoggingConfig.fromDict({ backends: ['console', 'tensorbord'] }, { env: {} }),
    );
    expect(error.message).toMatch(
      /backends\.1: unknown backend 'tensorbord'.*did you mean 'tensorboard'/,
    );
  });

  it('names file and line of malformed YAML', () => {
    const file = yamlFile('logging:\n  backends: [console\n  level: INFO\n');
    const error = problemsOf(() => LoggingConfig.fromYaml(file));
    expect(error.problems[0]?.file).toBe(file);
    expect(error.problems[0]?.line).toBeGreaterThanOrEqual(2);
    expect(error.message).toMatch(new RegExp(`${file}:\\d+: malformed YAML`));
  });

  it('says when the file is missing', () => {
    expect(() => LoggingConfig.fromYaml('/nonexistent/logging.yaml')).toThrow(
      /\/nonexistent\/logging\.yaml: cannot read the configuration: file not found/,
    );
  });

  it('never repeats a secret in an error', () => {
    const error = problemsOf(() => parseSection('wandb', { api_key: 12345678901234 }));
    expect(error.message).toMatch(/wandb\.api_key/);
    expect(error.message).not.toContain('12345678901234');
  });

  it('never repeats a value that looks like a secret, whatever the key', () => {
    const key = 'a1b2c3d4e5'.repeat(4);
    const error = problemsOf(() =>
      LoggingConfig.load(
        {
          backends: ['wandb', key],
          wandb: { base_url: key, tags: `Bearer ${key}` },
          tensorboard: key,
        },
        { env: {} },
      ),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual([
      'backends.1',
      'tensorboard',
      'wandb.base_url',
      'wandb.tags',
    ]);
    expect(error.message).not.toContain(key.slice(0, 12));
    expect(error.message).toContain(
      'wandb.base_url: Invalid URL, got string (a value that looks like a secret, not shown)',
    );
    // Values that look like no secret are still shown.
    expect(
      problemsOf(() => parseSection('wandb', { base_url: 'api dot wandb' })).message,
    ).toContain('got string "api dot wandb"');
  });

  it('names a backend by its place in the list, other entries counted', () => {
    const error = problemsOf(() =>
      LoggingConfig.load({ backends: [1, 'console', 'console', 'tensorbord'] }, { env: {} }),
    );
    expect(error.problems.map((p) => p.path)).toEqual(['backends.0', 'backends.2', 'backends.3']);
  });

  it('names a backend listed twice, at its second line', () => {
    const file = yamlFile(
      'logging:\n  backends:\n    - tensorboard\n    - tensorboard\n    - wandb\n    - wandb\n',
    );
    const error = problemsOf(() => LoggingConfig.fromYaml(file, { env: {} }));
    expect(error.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['backends.1', 4, "backend 'tensorboard' is listed twice"],
      ['backends.3', 6, "backend 'wandb' is listed twice"],
    ]);
  });
});

/** Every duration key of the schema, as a path to set it. */
const DURATIONS = [
  'export_interval',
  'flush_timeout',
  'system_metrics_interval',
  'tensorboard.flush_secs',
  'wandb.stream_interval',
  'wandb.heartbeat_interval',
  'wandb.request_timeout',
  'wandb.finish_timeout',
  'otlp.export_interval',
  'otlp.timeout',
];

function withKey(path: string, value: unknown): Record<string, unknown> {
  const [section, key] = path.includes('.') ? path.split('.') : [undefined, path];
  return section ? { [section]: { [key!]: value } } : { [path]: value };
}

describe('durations', () => {
  it('are every timing key of the schema', () => {
    expect(configurationKeys().filter((key) => /interval|timeout|secs/.test(key))).toEqual(
      DURATIONS,
    );
  });

  it.each(DURATIONS.flatMap((path) => [1e308, 3e6, -1, 0].map((value) => [path, value] as const)))(
    '%s: %s is refused, naming the key and the range Node can schedule',
    (path, value) => {
      const error = problemsOf(() => LoggingConfig.fromDict(withKey(path, value), { env: {} }));
      expect(error.problems).toHaveLength(1);
      expect(error.message).toContain(
        `${path}: expected seconds from 0.01 to 86400 (a day), got number ${value}`,
      );
    },
  );

  it('at their maximum, every timer is scheduled: no TimeoutOverflowWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const server = await FakeWandbServer.start({ apiKey: TEST_API_KEY });
    // An OTLP receiver that takes everything (an empty body is an empty ExportResponse).
    const receiver = createServer((request, response) => {
      request.resume().on('end', () => response.end());
    }).listen(0);
    await new Promise((resolve) => receiver.once('listening', resolve));
    const { port } = receiver.address() as { port: number };
    try {
      const dir = tempDir('durations');
      const config: Record<string, unknown> = {
        backends: ['tensorboard', 'wandb', 'otlp'],
        handle_signals: false,
        tensorboard: { log_dir: dir },
        wandb: { mode: 'online', dir, base_url: server.url, api_key: TEST_API_KEY },
        otlp: { endpoint: `http://127.0.0.1:${port}` },
      };
      for (const path of DURATIONS) {
        const [section, key] = path.split('.');
        if (key) (config[section!] as Record<string, unknown>)[key] = MAX_SECONDS;
        else config[path] = MAX_SECONDS;
      }
      const logger = createLogger(config, {
        env: { HOME: dir },
        diagnostics: new CollectingDiagnostics(),
      });
      logger.logMetrics({ loss: 1 }, 0);
      await logger.finish();
    } finally {
      process.off('warning', onWarning);
      server.close();
      receiver.close();
    }
    expect(warnings.map((warning) => warning.name)).not.toContain('TimeoutOverflowWarning');
  });
});

describe('environment and aliases', () => {
  it('fills keys from their variables, converted to the key type; the config wins', () => {
    const env = {
      WANDB_PROJECT: 'from-env',
      WANDB_TAGS: 'a, b',
      WANDB_MODE: 'offline',
      JEPA_RUN_ID: 'abcd1234',
    };
    const config = LoggingConfig.fromDict(
      { backends: ['wandb'], wandb: { mode: 'online' } },
      { env },
    );
    expect(config.section('wandb')).toMatchObject({
      project: 'from-env',
      tags: ['a', 'b'],
      mode: 'online',
    });
    expect(config.global.run_id).toBe('abcd1234');
  });

  it('accepts camelCase spellings of keys', () => {
    // Run-time dicts (parsed JSON); the typed dict of `fromDict` has the snake_case keys.
    const config = LoggingConfig.load(
      { logFrequency: 5, tensorboard: { logDir: 'x', flushSecs: 1 } },
      { env: {} },
    );
    expect(config.global.log_frequency).toBe(5);
    expect(config.section('tensorboard')).toMatchObject({ log_dir: 'x', flush_secs: 1 });
  });

  it('masks secrets in dumps', () => {
    const config = LoggingConfig.fromDict(
      {
        backends: ['wandb', 'otlp'],
        wandb: { api_key: 'k'.repeat(40) },
        otlp: { headers: { Authorization: 'Bearer t' } },
      },
      { env: {} },
    );
    const dump = JSON.stringify(config.toDict());
    expect(dump).not.toContain('k'.repeat(40));
    expect(dump).not.toContain('Bearer t');
    expect(config.toDict()).toMatchObject({
      wandb: { api_key: '***' },
      otlp: { headers: { Authorization: '***' } },
    });
  });
});
