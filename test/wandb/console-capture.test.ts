/**
 * Console capture for W&B's Logs tab: by default the lines our console backend prints, nothing
 * else; with the whole process (`capture_output`), whole lines from `process.stdout` and
 * `process.stderr`, whatever the chunks, what a terminal would show of a redrawn line, the API
 * key masked, and the streams as they were after `stop()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleSink } from '../../src/exporters/console/console-sink.js';
import { ConsoleCapture, maskingOf, type OutputStream } from '../../src/wandb/console-capture.js';
import { CaptureStream } from '../support/capture-stream.js';

const KEY = 'f3a9c1e07b2d4c6e8a0b1c2d3e4f5a6b7c8d9e0f';
let capture: ConsoleCapture | undefined;

afterEach(() => capture?.stop());

function capturing(mask?: (line: string) => string, wholeProcess = true): [OutputStream, string][] {
  const lines: [OutputStream, string][] = [];
  capture = new ConsoleCapture((stream, line) => lines.push([stream, line]), mask, wholeProcess);
  return lines;
}

describe('ConsoleCapture, by default', () => {
  it("copies the console backend's lines, masked, and nothing else the process prints", () => {
    const lines = capturing(maskingOf([KEY]), false);
    const printed = new CaptureStream();
    const sink = new ConsoleSink({ stream: printed, colored: false, format: '%(message)s' });
    const toStderr = new ConsoleSink({
      stream: process.stderr,
      colored: false,
      format: '%(message)s',
    });
    sink.writeMetrics({ step: 3, timeMs: Date.now(), values: { loss: 0.5 } } as never);
    process.stdout.write('printed by the app\n');
    sink.writeText({ step: 3, timeMs: Date.now(), tag: 'note', text: `key ${KEY}` } as never);
    toStderr.writeRunEnd({ status: 'finished', exitCode: 0, timeMs: Date.now() } as never);
    expect(printed.lines).toHaveLength(2);
    expect(printed.lines[1]).toContain(KEY);
    expect(lines).toEqual([
      ...printed.lines.map((line) => ['stdout', line.replace(KEY, '***')]),
      ['stderr', 'run finished (exit code 0)'],
    ]);
  });

  it('copies each line once when the whole process is captured too', () => {
    const lines = capturing(undefined, true);
    const sink = new ConsoleSink({ stream: process.stderr, colored: false, format: '%(message)s' });
    sink.writeRunEnd({ status: 'finished', exitCode: 0, timeMs: Date.now() } as never);
    expect(lines).toEqual([['stderr', 'run finished (exit code 0)']]);
  });
});

describe('ConsoleCapture of the whole process', () => {
  it('hands over whole lines, however the writes cut them, from both streams', () => {
    const lines = capturing();
    process.stdout.write('epoch 1 ');
    process.stdout.write(Buffer.from('started\nloss 0.5'));
    process.stderr.write('a warning\n');
    process.stdout.write('\r\n');
    expect(lines).toEqual([
      ['stdout', 'epoch 1 started'],
      ['stderr', 'a warning'],
      ['stdout', 'loss 0.5'],
    ]);
  });

  it('keeps what a terminal shows of a redrawn line (a progress bar), not every drawing', () => {
    const lines = capturing();
    for (let i = 0; i <= 100; i += 25) process.stdout.write(`\rprogress ${i}%`);
    process.stdout.write('\n');
    expect(lines).toEqual([['stdout', 'progress 100%']]);
  });

  it('masks the API key in the copy', () => {
    const lines = capturing(maskingOf([KEY]));
    process.stdout.write(`key=${KEY}, again ${KEY}\n`);
    expect(lines).toEqual([['stdout', 'key=***, again ***']]);
  });

  it('hands over an unfinished last line at stop() and leaves the streams as they were', () => {
    const write = process.stdout.write;
    const lines = capturing();
    process.stdout.write('no newline yet');
    capture!.stop();
    expect(process.stdout.write).toBe(write);
    process.stdout.write('after stop\n');
    expect(lines).toEqual([['stdout', 'no newline yet']]);
  });

  it('does not capture what handing a line over prints (no loop)', () => {
    const lines: string[] = [];
    capture = new ConsoleCapture(
      (_, line) => {
        lines.push(line);
        process.stderr.write(`handled ${line}\n`);
      },
      undefined,
      true,
    );
    process.stdout.write('one\n');
    expect(lines).toEqual(['one']);
  });
});
