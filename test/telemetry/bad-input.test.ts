import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { ConsoleLogger } from '../../src/loggers/console-logger.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { wandbJson } from '../../src/wandb/wandb-json.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { CaptureStream } from '../support/capture-stream.js';
import { memoryBackend } from '../support/memory-sink.js';

/** A logger whose rows land in memory and whose instruments are exported in memory too. */
async function logged(calls: (logger: TelemetryLogger) => void) {
  const { sink, backend } = memoryBackend();
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const diagnostics = new CollectingDiagnostics();
  const logger = new TelemetryLogger(
    {},
    () => [backend, { name: 'metrics', runMetricReaders: [reader] }],
    {
      diagnostics,
      settings: { handle_signals: false },
    },
  );
  calls(logger);
  await logger.finish();
  const instruments = new Map<string, number>();
  for (const resourceMetrics of exporter.getMetrics()) {
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        instruments.set(metric.descriptor.name, metric.dataPoints.at(-1)?.value as number);
      }
    }
  }
  return { rows: sink.rows, warnings: diagnostics.at('WARNING'), instruments };
}

const longKey = `k${'x'.repeat(299)}`;

type Case = () => Promise<void> | void;
const cases: Record<string, Case> = {
  'NaN value': async () => {
    const { rows, instruments } = await logged((l) => l.logMetrics({ loss: Number.NaN, ok: 1 }, 0));
    expect(rows[0]?.values.loss).toBeNaN();
    expect(rows[0]?.values.ok).toBe(1);
    expect(instruments.get('loss')).toBeNaN();
  },
  '+Infinity / -Infinity value': async () => {
    const { rows } = await logged((l) =>
      l.logMetrics({ up: Number.POSITIVE_INFINITY, down: Number.NEGATIVE_INFINITY }, 0),
    );
    expect(rows[0]?.values).toEqual({
      up: Number.POSITIVE_INFINITY,
      down: Number.NEGATIVE_INFINITY,
    });
  },
  '-0 value': async () => {
    const { rows } = await logged((l) => l.logMetrics({ zero: -0 }, 0));
    expect(Object.is(rows[0]?.values.zero, -0)).toBe(true);
    // W&B's JSON: Python writes and reads -0 as -0.0 (its `-0` is the integer 0).
    expect(wandbJson(rows[0]?.values.zero)).toBe('-0.0');
  },
  'string value': async () => {
    const { rows, warnings } = await logged((l) => l.logMetrics({ name: 'resnet', ok: 1 }, 0));
    expect(rows[0]?.values).toEqual({ ok: 1 });
    expect(warnings).toEqual([
      expect.stringMatching(/'name' was dropped: its value is a string \(use logText/),
    ]);
  },
  'null / undefined value': async () => {
    const { rows, warnings } = await logged((l) =>
      l.logMetrics({ a: null, b: undefined, ok: 2 }, 0),
    );
    expect(rows[0]?.values).toEqual({ ok: 2 });
    expect(warnings).toEqual([
      expect.stringMatching(/'a' was dropped: its value is null/),
      expect.stringMatching(/'b' was dropped: its value is undefined/),
    ]);
  },
  'nested object value': async () => {
    const { rows, instruments } = await logged((l) =>
      l.logMetrics({ train: { loss: 1, inner: { acc: 0.5 } } }, 0),
    );
    expect(rows[0]?.values).toEqual({ 'train/loss': 1, 'train/inner/acc': 0.5 });
    expect(instruments.get('train/loss')).toBe(1);
  },
  'the same key twice in a row (nested and flat)': async () => {
    const { rows, warnings } = await logged((l) => {
      l.logMetrics({ train: { loss: 1 }, 'train/loss': 2, ok: 1 }, 0);
      l.logMetrics({ train: { loss: 3 }, 'train/loss': null, ok: 1 }, 1);
    });
    expect(rows.map((row) => row.values)).toEqual([{ 'train/loss': 2, ok: 1 }, { ok: 1 }]);
    expect(warnings).toEqual([
      expect.stringMatching(/'train\/loss' was dropped: its value is null/),
    ]);
  },
  'a key whose getter throws (or a Proxy whose `get` trap throws)': async () => {
    const row = (i: number) => ({
      good: i,
      get bad(): number {
        throw new Error('no value here');
      },
    });
    const proxy = new Proxy(
      { ok: 1, trap: 2 },
      {
        get(target, key) {
          if (key === 'trap') throw new Error('trapped');
          return Reflect.get(target, key);
        },
      },
    );
    const { rows, warnings } = await logged((l) => {
      for (let i = 0; i < 1000; i++) l.logMetrics(row(i), i);
      l.logMetrics(proxy, 1000);
    });
    expect(rows.map((r) => r.values.good).slice(0, 1000)).toEqual([...Array(1000).keys()]);
    expect(rows[1000]?.values).toEqual({ ok: 1 });
    expect(warnings).toEqual([
      "logMetrics: 'bad' was dropped: reading it threw: no value here",
      "logMetrics: 'trap' was dropped: reading it threw: trapped",
    ]);
  },
  'a cyclic row (`row.self = row`)': async () => {
    const cyclic: Record<string, unknown> = { loss: 1, nested: { acc: 0.5 } };
    cyclic.self = cyclic;
    (cyclic.nested as Record<string, unknown>).up = cyclic;
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const { rows, warnings } = await logged((l) => {
      l.logMetrics(cyclic, 0);
      l.logMetrics({ deep, ok: 2 }, 1);
    });
    expect(rows[0]?.values).toEqual({ loss: 1, 'nested/acc': 0.5 });
    expect(rows[1]?.values).toEqual({ ok: 2 });
    expect(warnings).toEqual([
      "logMetrics: 'nested/up' was dropped: it refers back to an object that holds it (a cycle)",
      "logMetrics: 'self' was dropped: it refers back to an object that holds it (a cycle)",
      expect.stringMatching(
        /^logMetrics: 'deep\/d\/d.*' was dropped: it is nested more than 32 levels deep$/,
      ),
    ]);
  },
  'a Proxy whose `ownKeys` trap throws': async () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    const { rows, warnings } = await logged((l) => {
      l.logMetrics({ ok: 1, inner: hostile }, 0);
      l.logMetrics(hostile, 1);
    });
    expect(rows[0]?.values).toEqual({ ok: 1 });
    expect(warnings).toEqual([
      "logMetrics: 'inner' was dropped: its keys could not be listed: no keys",
      'logMetrics: the row was dropped: its keys could not be listed: no keys',
    ]);
  },
  'symbol keys': async () => {
    const { rows, warnings } = await logged((l) =>
      l.logMetrics({ ok: 1, [Symbol('loss')]: 2 } as Record<string, unknown>, 0),
    );
    expect(rows[0]?.values).toEqual({ ok: 1 });
    expect(warnings).toEqual([
      'logMetrics: the symbol keys of the row were dropped: metric names are strings',
    ]);
  },
  'a row that is not an object (`null`, `undefined`, `42`)': async () => {
    const { rows, warnings } = await logged((l) => {
      for (const row of [null, undefined, 42]) l.logMetrics(row as never);
      l.logMetrics({ ok: 1 });
    });
    expect(rows.map((r) => [r.step, r.values])).toEqual([[0, { ok: 1 }]]);
    expect(warnings).toEqual([
      'logMetrics: the row is null, not an object of metrics; nothing logged',
      'logMetrics: the row is undefined, not an object of metrics; nothing logged',
      'logMetrics: the row is 42, not an object of metrics; nothing logged',
    ]);
  },
  'a new bad key in every row': async () => {
    const { rows, warnings } = await logged((l) => {
      for (let i = 0; i < 20_000; i++) l.logMetrics({ ok: i, [`bad${i}`]: 'text' }, i);
    });
    expect(rows).toHaveLength(20_000);
    expect(warnings).toHaveLength(6);
    expect(warnings[4]).toMatch(
      /'bad4' was dropped.*\(more warnings like this are counted, not shown\)$/,
    );
    expect(warnings[5]).toBe("19995 of kind 'value': more warnings like those above, not shown");
  },
  'array value': async () => {
    const { rows, warnings } = await logged((l) =>
      l.logMetrics({ hist: [1, 2], typed: new Float32Array(2), ok: 1 }, 0),
    );
    expect(rows[0]?.values).toEqual({ ok: 1 });
    expect(warnings.filter((w) => w.includes('use logHistogram'))).toHaveLength(2);
  },
  'boolean value': async () => {
    const { rows } = await logged((l) => l.logMetrics({ yes: true, no: false }, 0));
    expect(rows[0]?.values).toEqual({ yes: 1, no: 0 });
  },
  'bigint value': async () => {
    const { rows, warnings } = await logged((l) => l.logMetrics({ small: 5n, huge: 2n ** 60n }, 0));
    expect(rows[0]?.values).toEqual({ small: 5, huge: 2 ** 60 });
    expect(warnings).toEqual([
      expect.stringMatching(/'huge' = 1152921504606846976n loses precision/),
    ]);
  },
  'empty key': async () => {
    const { rows, warnings } = await logged((l) => l.logMetrics({ '': 1, ok: 1 }, 0));
    expect(rows[0]?.values).toEqual({ ok: 1 });
    expect(warnings).toEqual([expect.stringMatching(/empty metric key was dropped/)]);
  },
  'key `__proto__`': async () => {
    const { rows, warnings } = await logged((l) =>
      l.logMetrics(JSON.parse('{"__proto__": 1, "ok": 1, "a": {"__proto__": 2}}'), 0),
    );
    expect(rows[0]?.values).toEqual({ ok: 1, 'a/__proto__': 2 });
    expect(warnings).toEqual([expect.stringMatching(/key '__proto__' was dropped/)]);
  },
  'unicode key': async () => {
    const { rows, instruments } = await logged((l) => l.logMetrics({ 'perte/λ': 1, 损失: 2 }, 0));
    expect(rows[0]?.values).toEqual({ 'perte/λ': 1, 损失: 2 });
    expect(instruments.get('perte/_')).toBe(1);
    expect(instruments.get('metric___')).toBe(2);
  },
  '300-character key': async () => {
    const { rows, instruments } = await logged((l) => l.logMetrics({ [longKey]: 3 }, 0));
    expect(rows[0]?.values).toEqual({ [longKey]: 3 });
    expect(instruments.get(longKey.slice(0, 255))).toBe(3);
  },
  'keys that differ only by characters Prometheus replaces': async () => {
    const { rows, warnings, instruments } = await logged((l) =>
      l.logMetrics({ 'train/loss': 1, 'train.loss': 2 }, 0),
    );
    expect(rows[0]?.values).toEqual({ 'train/loss': 1, 'train.loss': 2 });
    expect(instruments.get('train/loss')).toBe(1);
    expect(instruments.has('train.loss')).toBe(false);
    expect(warnings).toEqual([
      expect.stringMatching(
        /'train\/loss' and 'train\.loss' both become the Prometheus metric 'train_loss'/,
      ),
    ]);
  },
  'key or tag with control characters (`"loss\\nERROR - run finished"`, `\\x1b[2J`)': async () => {
    const stream = new CaptureStream();
    const logger = new ConsoleLogger(
      { stream, format: '%(levelname)s - %(message)s' },
      { settings: { handle_signals: false } },
    );
    logger.logMetrics({ 'loss\nERROR - run finished': 1 }, 0);
    logger.logText('clear\u001b[2J', 'hello', 0);
    await logger.finish();
    expect(stream.lines.slice(0, 2)).toEqual([
      'INFO - step 0 | loss\\nERROR - run finished 1',
      'INFO - step 0 | text clear\\x1b[2J: hello',
    ]);
    expect(stream.text).not.toContain('\u001b');
  },
  'key beginning with `jepa.`': async () => {
    const { rows, warnings } = await logged((l) => l.logMetrics({ 'jepa.step': 99, ok: 1 }, 4));
    expect(rows[0]).toMatchObject({ step: 4, values: { ok: 1 } });
    expect(warnings).toEqual([
      expect.stringMatching(/'jepa\.step' was dropped: keys beginning with 'jepa\.' are reserved/),
    ]);
  },
  'negative step': async () => {
    const { rows, warnings } = await logged((l) => {
      l.logMetrics({ a: 1 }, 5);
      l.logMetrics({ a: 2 }, -3);
    });
    expect(rows.map((r) => r.step)).toEqual([5, 6]);
    expect(warnings).toEqual([
      expect.stringMatching(/step -3 is not a non-negative integer: logged at the next step \(6\)/),
    ]);
  },
  'non-number step (NaN, Infinity, a string)': async () => {
    const { rows, warnings } = await logged((l) => {
      l.logMetrics({ a: 1 }, Number.NaN);
      l.logMetrics({ a: 2 }, Number.POSITIVE_INFINITY);
      l.logMetrics({ a: 3 }, '7' as unknown as number);
    });
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(warnings).toHaveLength(3);
  },
  'fractional step': async () => {
    const { rows, warnings } = await logged((l) => {
      l.logMetrics({ a: 1 }, 2.7);
      l.logMetrics({ a: 2 }, 3.5);
    });
    expect(rows.map((r) => r.step)).toEqual([2, 3]);
    expect(warnings).toEqual([
      expect.stringMatching(/step 2\.7 is not an integer: logged at step 2/),
    ]);
  },
  'decreasing step': async () => {
    const { rows, warnings } = await logged((l) => {
      l.logMetrics({ a: 1 }, 10);
      l.logMetrics({ a: 2 }, 4);
      l.logMetrics({ a: 3 }, 2);
    });
    expect(rows.map((r) => r.step)).toEqual([10, 4, 2]);
    expect(warnings).toEqual([expect.stringMatching(/step went back from 10 to 4: kept as given/)]);
  },
  'unknown backend': () => {
    expect(() => LoggingConfig.fromDict({ backends: ['wandbb'] }, { env: {} })).toThrow(
      /unknown backend 'wandbb'; known: .*\(did you mean 'wandb'\?\)/,
    );
  },
  'backend listed twice': () => {
    expect(() =>
      LoggingConfig.fromDict({ backends: ['tensorboard', 'console', 'tensorboard'] }, { env: {} }),
    ).toThrow("backends.2: backend 'tensorboard' is listed twice");
  },
  'unknown config key': () => {
    const diagnostics = new CollectingDiagnostics();
    LoggingConfig.load({ levle: 'INFO' }, { env: {}, diagnostics });
    expect(diagnostics.at('WARNING')).toEqual([
      expect.stringMatching(/levle: unknown key, ignored \(did you mean 'level'\?\)/),
    ]);
    const many = new CollectingDiagnostics();
    const strays = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`stray_${i}`, i]));
    LoggingConfig.fromDict(strays, { env: {}, diagnostics: many });
    expect(many.messages).toHaveLength(11);
    expect(many.messages.at(-1)?.message).toMatch(/19990 more unknown keys ignored/);
  },
  'wrong config type': () => {
    expect(() =>
      LoggingConfig.load(
        { flush_timeout: 'soon', tensorboard: { log_images: 'yes' } },
        { env: {} },
      ),
    ).toThrow(ConfigError);
    expect(() =>
      LoggingConfig.load(
        { flush_timeout: 'soon', tensorboard: { log_images: 'yes' } },
        { env: {} },
      ),
    ).toThrow(
      /2 problems[\s\S]*flush_timeout: expected number, got string "soon"[\s\S]*tensorboard\.log_images: expected boolean, got string "yes"/,
    );
  },
  'config duration out of range (`wandb.stream_interval: 3e6`, `-1`)': () => {
    for (const value of [3e6, -1]) {
      expect(() =>
        LoggingConfig.fromDict({ wandb: { stream_interval: value } }, { env: {} }),
      ).toThrow(
        `wandb.stream_interval: expected seconds from 0.01 to 86400 (a day), got number ${value}`,
      );
    }
  },
  'a secret in a config key that is not secret (a W&B key pasted into `wandb.base_url`)': () => {
    const key = 'a1b2c3d4e5'.repeat(4);
    expect(() => LoggingConfig.fromDict({ wandb: { base_url: key } }, { env: {} })).toThrow(
      'wandb.base_url: Invalid URL, got string (a value that looks like a secret, not shown)',
    );
  },
  'malformed YAML': () => {
    const file = join(import.meta.dirname, '../fixtures/config/malformed.yaml');
    expect(() => LoggingConfig.fromYaml(file)).toThrow(/malformed\.yaml:3: malformed YAML/);
  },
  'YAML key given twice in a mapping': () => {
    const file = join(tempDir('jepa-bad-input'), 'twice.yaml');
    writeFileSync(file, 'logging:\n  level: INFO\n  level: DEBUG\n');
    expect(() => LoggingConfig.fromYaml(file)).toThrow(
      `${file}:3: malformed YAML: the key 'level' is given twice (first on line 2)`,
    );
  },
  'configuration past the size limits (a 50 MB file, 80,000 keys)': () => {
    const dir = tempDir('jepa-bad-input');
    const file = (name: string, keys: number, tail = '') => {
      const lines = Array.from({ length: keys }, (_, i) => `  k${i}: ${i}`);
      writeFileSync(join(dir, name), `logging:\n${lines.join('\n')}\n${tail}`);
      return join(dir, name);
    };
    expect(() => LoggingConfig.fromYaml(file('big.yaml', 1, 'x'.repeat(50_000_000)))).toThrow(
      /big\.yaml: the configuration has \d+ characters; at most 1048576 are read/,
    );
    expect(() => LoggingConfig.fromYaml(file('keys.yaml', 80_000))).toThrow(
      /keys\.yaml: the configuration has \d+ characters; at most 1048576 are read/,
    );
    expect(() => LoggingConfig.fromYaml(file('wide.yaml', 10_001))).toThrow(
      /wide\.yaml:2: a mapping of 10001 keys; at most 10000 are read/,
    );
  },
  'missing config file': () => {
    expect(() => LoggingConfig.fromYaml('missing.yaml')).toThrow(
      /missing\.yaml: cannot read the configuration: file not found/,
    );
  },
};

describe('docs/bad-input.md', () => {
  it('lists exactly the cases tested here', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/bad-input.md'), 'utf8');
    const rows = [...doc.matchAll(/^\|([^|]+)\|[^|]+\|$/gm)]
      .map((m) => m[1]!.trim())
      .filter((label) => label !== 'Input' && !/^-+$/.test(label));
    expect(rows).toEqual(Object.keys(cases));
  });

  it.each(Object.entries(cases))('%s', async (_label, run) => {
    await run();
  });
});
