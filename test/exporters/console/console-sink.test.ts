import { describe, expect, it } from 'vitest';
import { ConsoleSink, formatValue } from '../../../src/exporters/console/console-sink.js';
import { CaptureStream } from '../../support/capture-stream.js';

const timeMs = new Date(2026, 0, 1, 12, 0, 0, 5).getTime();

function sink(options: ConstructorParameters<typeof ConsoleSink>[0] = {}) {
  const stream = new CaptureStream();
  return {
    stream,
    sink: new ConsoleSink({ stream, format: '%(levelname)s %(message)s', env: {}, ...options }),
  };
}

describe('ConsoleSink', () => {
  it('writes a row as one line with the step and every value', () => {
    const { stream, sink: console } = sink();
    console.writeMetrics({
      kind: 'metrics',
      timeMs,
      step: 100,
      values: { loss: 0.5, accuracy: 0.85, epoch: 3 },
    });
    expect(stream.lines).toEqual(['INFO step 100 | loss 0.5000 | accuracy 0.8500 | epoch 3']);
  });

  it('hides INFO lines above INFO and shows a failed run at ERROR', () => {
    const { stream, sink: console } = sink({ level: 'ERROR' });
    console.writeMetrics({ kind: 'metrics', timeMs, step: 1, values: { loss: 1 } });
    console.writeRunEnd({ kind: 'runEnd', timeMs, exitCode: 0, status: 'finished' });
    console.writeRunEnd({ kind: 'runEnd', timeMs, exitCode: 1, status: 'failed' });
    expect(stream.lines).toEqual(['ERROR run failed (exit code 1)']);
    expect(ConsoleSink.eventsShownAt('ERROR')).toEqual(['jepa.run.end', 'jepa.exception']);
    expect(ConsoleSink.eventsShownAt('CRITICAL')).toEqual(['jepa.run.end']);
    expect(ConsoleSink.eventsShownAt('INFO')).toBeUndefined();
  });

  it('summarises histograms, images and text on one line each', () => {
    const { stream, sink: console } = sink();
    console.writeHistogram({
      kind: 'histogram',
      timeMs,
      step: 2,
      tag: 'w',
      histogram: {
        min: -1,
        max: 3,
        count: 4,
        sum: 4,
        sumSquares: 11,
        bucketLimits: [1, 3],
        bucketCounts: [2, 2],
      },
    });
    console.writeImage({
      kind: 'image',
      timeMs,
      step: 2,
      tag: 'img',
      png: new Uint8Array(10),
      width: 4,
      height: 3,
      channels: 3,
      index: 1,
    });
    console.writeText({ kind: 'text', timeMs, step: 2, tag: 'notes', text: 'first\nsecond' });
    expect(stream.lines).toEqual([
      'INFO step 2 | histogram w: n 4, min -1, mean 1, max 3',
      'INFO step 2 | image img[1]: 4x3x3 PNG, 10 bytes',
      'INFO step 2 | text notes: first...',
    ]);
  });

  it('escapes control characters in keys, tags, text and exceptions: one line each, no raw escape', () => {
    const { stream, sink: console } = sink({ format: '%(levelname)s - %(message)s' });
    console.writeMetrics({
      kind: 'metrics',
      timeMs,
      step: 1,
      values: { 'loss\nERROR - run finished (exit code 1)': 1, 'a\rb\u0085c\u2028d': 2 },
    });
    console.writeText({
      kind: 'text',
      timeMs,
      step: 1,
      tag: 'clear\u001b[2J',
      text: 'x\u001b[31my\tz',
    });
    console.writeHistogram({
      kind: 'histogram',
      timeMs,
      step: 1,
      tag: 'h\u0007',
      histogram: {
        min: 0,
        max: 0,
        count: 0,
        sum: 0,
        sumSquares: 0,
        bucketLimits: [],
        bucketCounts: [],
      },
    });
    console.writeHparams({
      kind: 'hparams',
      timeMs,
      hparams: { 'k\n': 'v\n' },
      metrics: {},
    });
    console.writeException({
      kind: 'exception',
      timeMs,
      step: 1,
      type: 'Error',
      message: 'bad\nINFO - all fine',
      stacktrace: 'Error: bad\nINFO - all fine\n    at f (file.js:1:1)',
    });
    expect(stream.lines).toEqual([
      'INFO - step 1 | loss\\nERROR - run finished (exit code 1) 1 | a\\rb\\x85c\\u2028d 2',
      'INFO - step 1 | text clear\\x1b[2J: x\\x1b[31my\\tz',
      'INFO - step 1 | histogram h\\x07: n 0, min 0, mean NaN, max 0',
      'INFO - hyperparameters: k\\n="v\\n"',
      'ERROR - step 1 | exception: Error: bad\\nINFO - all fine',
      '    at f (file.js:1:1)',
    ]);
    expect(stream.text).not.toContain('\u001b');
  });

  it('masks hyperparameters under secret names, as config dumps do', () => {
    const { stream, sink: console } = sink();
    console.writeHparams({
      kind: 'hparams',
      timeMs,
      hparams: { lr: 0.1, api_key: 'k'.repeat(40), wandb: { token: 't0ken', project: 'p' } },
      metrics: {},
    });
    expect(stream.lines).toEqual([
      'INFO hyperparameters: lr=0.1, api_key="***", wandb={"token":"***","project":"p"}',
    ]);
  });

  it('colours with FORCE_COLOR, and NO_COLOR wins over it', () => {
    const colored = sink({ env: { FORCE_COLOR: '1' } });
    colored.sink.writeMetrics({ kind: 'metrics', timeMs, step: 1, values: { loss: 1 } });
    expect(colored.stream.text).toContain('\u001b[32mINFO\u001b[39m');
    const plain = sink({ env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    plain.sink.writeMetrics({ kind: 'metrics', timeMs, step: 1, values: { loss: 1 } });
    expect(plain.stream.text).not.toContain('\u001b[');
    const off = sink({ env: { FORCE_COLOR: '1' }, colored: false });
    off.sink.writeMetrics({ kind: 'metrics', timeMs, step: 1, values: { loss: 1 } });
    expect(off.stream.text).not.toContain('\u001b[');
  });
});

describe('formatValue', () => {
  it.each([
    [0.123456, '0.1235'],
    [3, '3'],
    [1e-4, '1.000e-4'],
    [2.5e7 + 0.5, '2.500e+7'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [-0, '-0'],
  ])('%s -> %s', (value, shown) => {
    expect(formatValue(value)).toBe(shown);
  });
});
