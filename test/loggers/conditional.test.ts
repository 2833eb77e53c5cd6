import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { BaseLogger, LoggerRegistry, type Metrics } from '../../src/loggers/base-logger.js';
import '../../src/loggers/builtins.js';
import {
  type ConditionalConditions,
  ConditionalLogger,
  FrequencyGate,
} from '../../src/loggers/conditional.js';
import { TelemetryLogger } from '../../src/loggers/telemetry-logger.js';
import { readWandbFile } from '../exporters/wandb/wandb-python.js';

const open: BaseLogger[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((logger) => logger.finish()));
});

/** Keeps what reaches it: the method and the step it was given. */
class Recorder extends BaseLogger {
  readonly calls: string[] = [];
  logMetrics(metrics: Metrics, step?: number): void {
    this.calls.push(`row ${step} ${Object.keys(metrics).join(',')}`);
  }
  override logHistogram(tag: string, _values: unknown, step?: number): void {
    this.calls.push(`histogram ${step} ${tag}`);
  }
  override logText(tag: string, _text: string, step?: number): void {
    this.calls.push(`text ${step} ${tag}`);
  }
  override logHyperparams(): void {
    this.calls.push('hparams');
  }
}

type Call =
  | { row: number | undefined; level?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL' }
  | { histogram: number | undefined }
  | { text: number | undefined }
  | { hparams: true };

function run(conditions: ConditionalConditions, calls: readonly Call[]): string[] {
  const base = new Recorder({}, new CollectingDiagnostics());
  const logger = new ConditionalLogger({ base_logger: base, conditions });
  for (const call of calls) {
    if ('row' in call) {
      if (call.level) logger.log(call.level, { x: 1 }, call.row);
      else logger.logMetrics({ x: 1 }, call.row);
    } else if ('histogram' in call) logger.logHistogram('w', [1], call.histogram);
    else if ('text' in call) logger.logText('t', 'hi', call.text);
    else logger.logHyperparams({ lr: 0.1 });
  }
  return base.calls;
}

const rows = (steps: readonly (number | undefined)[]): Call[] => steps.map((row) => ({ row }));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('ConditionalLogger semantics', () => {
  it.each<[string, ConditionalConditions, Call[], string[]]>([
    ['no conditions: everything passes', {}, rows([0, 1, 2]), ['row 0 x', 'row 1 x', 'row 2 x']],
    [
      'min_step drops rows below it',
      { min_step: 100 },
      rows([98, 99, 100, 101]),
      ['row 100 x', 'row 101 x'],
    ],
    [
      'min_step counts steps of rows without one, and passes them on explicitly',
      { min_step: 3 },
      rows([undefined, undefined, undefined, undefined, undefined]),
      ['row 3 x', 'row 4 x'],
    ],
    [
      'max_frequency 0.1 keeps the 10th, 20th, 30th call',
      { max_frequency: 0.1 },
      rows(range(0, 35)),
      ['row 9 x', 'row 19 x', 'row 29 x'],
    ],
    [
      'max_frequency 0.25 keeps every 4th',
      { max_frequency: 0.25 },
      rows(range(0, 9)),
      ['row 3 x', 'row 7 x'],
    ],
    [
      'max_frequency 1/3 keeps every 3rd',
      { max_frequency: 1 / 3 },
      rows(range(0, 7)),
      ['row 2 x', 'row 5 x'],
    ],
    [
      'max_frequency 0.4 spreads 2 of every 5',
      { max_frequency: 0.4 },
      rows(range(0, 10)),
      ['row 2 x', 'row 4 x', 'row 7 x', 'row 9 x'],
    ],
    [
      'the frequency counts only calls that passed min_step',
      { min_step: 100, max_frequency: 0.5 },
      rows(range(95, 106)),
      ['row 101 x', 'row 103 x', 'row 105 x'],
    ],
    [
      'level_filter: logMetrics is INFO, log() gives the level',
      { level_filter: 'WARNING' },
      [
        { row: 1 },
        { row: 2, level: 'DEBUG' },
        { row: 3, level: 'WARNING' },
        { row: 4, level: 'CRITICAL' },
      ],
      ['row 3 x', 'row 4 x'],
    ],
    [
      'level_filter INFO passes INFO and above only',
      { level_filter: 'INFO' },
      [{ row: 1, level: 'DEBUG' }, { row: 2 }, { row: 3, level: 'ERROR' }],
      ['row 2 x', 'row 3 x'],
    ],
    [
      'media take the current step, and min_step applies to them',
      { min_step: 5 },
      [{ row: 4 }, { histogram: undefined }, { row: 5 }, { histogram: undefined }, { text: 9 }],
      ['row 5 x', 'histogram 5 w', 'text 9 t'],
    ],
    [
      'rows and histograms are thinned separately',
      { max_frequency: 0.5 },
      [{ row: 1 }, { histogram: 1 }, { row: 2 }, { histogram: 2 }, { row: 3 }, { histogram: 3 }],
      ['row 2 x', 'histogram 2 w'],
    ],
    [
      'hyperparameters always pass',
      { min_step: 10, max_frequency: 0.1, level_filter: 'CRITICAL' },
      [{ hparams: true }, { row: 0 }],
      ['hparams'],
    ],
  ])('%s', (_name, conditions, calls, expected) => {
    expect(run(conditions, calls)).toEqual(expected);
  });

  it('keeps exactly floor(n·f) of any first n calls, for any f', () => {
    for (const f of [0.1, 0.3, 0.7, 1 / 7, 0.999, 1, 0.123456789]) {
      const gate = new FrequencyGate(f);
      const [digits, scale] = decimal(f);
      let kept = 0;
      const wrong: number[] = [];
      for (let n = 1; n <= 20_000; n++) {
        if (gate.admit()) kept++;
        // Integer arithmetic on the decimal form, independent of the gate's fractions.
        if (kept !== Number((BigInt(n) * digits) / scale)) wrong.push(n);
      }
      expect(wrong, `max_frequency ${f}`).toEqual([]);
    }
  });
});

/** f as an exact decimal fraction digits / scale (up to 9 places; 1/7 and 1/3 rounded there). */
function decimal(f: number): [bigint, bigint] {
  const scale = 1_000_000_000n;
  return [BigInt(Math.round(f * 1e9)), scale];
}

describe('seed: Conditional Logging', () => {
  it('passes on to a W&B logger only rows from step 100, at most 10% of them, INFO and above', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-conditional-'));
    try {
      const wandbLogger = LoggerRegistry.create('wandb', { mode: 'offline', dir, project: 'p' });
      const logger = new ConditionalLogger({
        base_logger: wandbLogger,
        conditions: {
          min_step: 100, // Only log after step 100
          max_frequency: 0.1, // Max 10% of calls
          level_filter: 'INFO', // Only INFO and above
        },
      });
      for (let step = 0; step < 200; step++) logger.logMetrics({ loss: 1 / (step + 1) }, step);
      logger.log('DEBUG', { debug: 1 }, 200);
      await logger.finish();
      const [runDir] = readdirSync(join(dir, 'wandb')).filter((d) => d.startsWith('offline-run-'));
      const file = readdirSync(join(dir, 'wandb', runDir!)).find((f) => f.endsWith('.wandb'))!;
      const records = await readWandbFile(join(dir, 'wandb', runDir!, file));
      const steps = records
        .filter((r) => r.record.history)
        .map((r) => Number(r.record.history.step.num));
      expect(steps).toEqual([109, 119, 129, 139, 149, 159, 169, 179, 189, 199]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ConditionalLogger options', () => {
  it("defaults level_filter to the wrapped run's level", async () => {
    const base = new TelemetryLogger({}, () => [], {
      settings: { handle_signals: false, level: 'WARNING' },
    });
    const logger = new ConditionalLogger({ base_logger: base });
    open.push(logger);
    expect(logger.levelFilter).toBe('WARNING');
    expect(new ConditionalLogger({ base_logger: new Recorder() }).levelFilter).toBe('INFO');
  });

  it('rejects bad conditions, naming each', () => {
    const base_logger = new Recorder();
    expect(
      () => new ConditionalLogger({ base_logger, conditions: { max_frequency: 0, min_step: -1 } }),
    ).toThrow(
      /ConditionalLogger\.conditions\.min_step.*\n.*ConditionalLogger\.conditions\.max_frequency/s,
    );
    expect(
      () => new ConditionalLogger({ base_logger, conditions: { level_filter: 'LOUD' } }),
    ).toThrow(/ConditionalLogger\.conditions\.level_filter/);
    expect(() => new ConditionalLogger({ base_logger, conditions: { min_stp: 3 } })).toThrow(
      /min_stp/,
    );
    expect(() => new ConditionalLogger({ base_logger }).log('LOUD' as 'INFO', {})).toThrow(
      "ConditionalLogger.log: level 'LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    );
  });
});
