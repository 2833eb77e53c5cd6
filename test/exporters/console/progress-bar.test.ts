import { describe, expect, it } from 'vitest';
import { ConsoleSink } from '../../../src/exporters/console/console-sink.js';
import { formatDuration, ProgressBar } from '../../../src/exporters/console/progress-bar.js';
import { CaptureStream } from '../../support/capture-stream.js';

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const CLEAR_LINE = '\r\u001b[2K';

describe('ProgressBar', () => {
  it('shows steps done of the total, the rate from row times, and the time left', () => {
    const bar = new ProgressBar({ total: 400 });
    bar.update(0, t0);
    bar.update(100, t0 + 4000);
    expect(bar.rate).toBe(25);
    expect(bar.etaSeconds).toBe(12);
    const line = bar.render(80);
    expect(line).toHaveLength(79);
    expect(line).toMatch(/^█+░+ {2}100\/400 {2}25% 25\.0 steps\/s ETA 0:12$/);
    // A quarter done: a quarter of the bar's cells are filled.
    const cells = line.split('  ')[0]!;
    expect(cells.split('').filter((c) => c === '█')).toHaveLength(Math.round(cells.length / 4));
  });

  it('has no rate or ETA before time has passed, and never overshoots the total', () => {
    const bar = new ProgressBar({ total: 10 });
    bar.update(3, t0);
    expect(bar.rate).toBeUndefined();
    expect(bar.render(60)).toMatch(/ 3\/10 {2}30%$/);
    bar.update(12, t0 + 1000);
    expect(bar.render(60)).toMatch(/10\/10 100% 9\.00 steps\/s ETA 0:00$/);
  });

  it('drops the bar itself on a narrow terminal and stays within the width', () => {
    const bar = new ProgressBar({ total: 1000 });
    bar.update(500, t0);
    expect(bar.render(20)).toBe(' 500/1000  50%');
    expect(bar.render(8).length).toBeLessThan(8);
  });

  it('formats durations as m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.2)).toBe('1:00');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});

describe('ConsoleSink progress', () => {
  const format = '%(levelname)s %(message)s';
  const row = (step: number, timeMs: number) =>
    ({ kind: 'metrics', timeMs, step, values: { loss: 1 } }) as const;

  it('on a terminal, keeps the bar as the last line under the rows and leaves it at the end', () => {
    const stream = new CaptureStream({ isTTY: true });
    stream.columns = 60;
    const sink = new ConsoleSink({ stream, format, env: {} });
    sink.writeProgress({ kind: 'progress', timeMs: t0, total: 100 });
    sink.writeMetrics(row(10, t0));
    sink.writeMetrics(row(60, t0 + 1000));
    sink.writeRunEnd({ kind: 'runEnd', timeMs: t0 + 2000, exitCode: 0, status: 'finished' });
    const writes = stream.text.split(CLEAR_LINE);
    // Each row clears the bar, writes its line and draws the bar again without a newline.
    expect(writes[1]).toMatch(/^INFO step 10 \| loss 1\n█+░+ {2} 10\/100 {2}10%$/);
    expect(writes[2]).toMatch(
      /^INFO step 60 \| loss 1\n█+░+ {2} 60\/100 {2}60% 50\.0 steps\/s ETA 0:01$/,
    );
    // The run's end leaves the bar's final state on its own line; lines go on below it.
    expect(writes[3]).toMatch(
      /^█+░+ {2} 60\/100 {2}60% 50\.0 steps\/s ETA 0:01\nINFO run finished \(exit code 0\)\n$/,
    );
    expect(writes).toHaveLength(4);
    // What the terminal shows: every line and every redraw of the bar fits its width.
    const shown = stream.text.split(CLEAR_LINE).flatMap((write) => write.split('\n'));
    for (const line of shown) expect(line.length).toBeLessThan(60);
  });

  it('piped, writes plain lines only', () => {
    const stream = new CaptureStream({ isTTY: false });
    const sink = new ConsoleSink({ stream, format, env: {} });
    sink.writeProgress({ kind: 'progress', timeMs: t0, total: 100 });
    sink.writeMetrics(row(10, t0));
    sink.writeRunEnd({ kind: 'runEnd', timeMs: t0, exitCode: 0, status: 'finished' });
    expect(stream.text).toBe('INFO step 10 | loss 1\nINFO run finished (exit code 0)\n');
  });

  it('shows an exception at ERROR with the stack frames indented below', () => {
    const stream = new CaptureStream();
    const sink = new ConsoleSink({ stream, format, env: {}, level: 'ERROR' });
    sink.writeException({
      kind: 'exception',
      timeMs: t0,
      step: 7,
      type: 'TypeError',
      message: 'boom',
      stacktrace:
        'TypeError: boom\n    at step (/app/train.js:3:9)\n    at main (/app/train.js:9:1)',
      functionName: 'trainingStep',
    });
    expect(stream.lines).toEqual([
      'ERROR step 7 | exception in trainingStep: TypeError: boom',
      '    at step (/app/train.js:3:9)',
      '    at main (/app/train.js:9:1)',
    ]);
    expect(ConsoleSink.eventsShownAt('ERROR')).toContain('jepa.exception');
    expect(ConsoleSink.eventsShownAt('WARNING')).toContain('jepa.exception');
    expect(ConsoleSink.eventsShownAt('CRITICAL')).not.toContain('jepa.exception');
  });
});
