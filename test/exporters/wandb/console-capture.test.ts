/**
 * Console capture for W&B's Logs tab: whole lines from `process.stdout` and `process.stderr`,
 * whatever the chunks, what a terminal would show of a redrawn line, the API key masked, and the
 * streams as they were after `stop()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConsoleCapture,
  maskingOf,
  type OutputStream,
} from '../../../src/exporters/wandb/console-capture.js';

const KEY = 'f3a9c1e07b2d4c6e8a0b1c2d3e4f5a6b7c8d9e0f';
let capture: ConsoleCapture | undefined;

afterEach(() => capture?.stop());

function capturing(mask?: (line: string) => string): [OutputStream, string][] {
  const lines: [OutputStream, string][] = [];
  capture = new ConsoleCapture((stream, line) => lines.push([stream, line]), mask);
  return lines;
}

describe('ConsoleCapture', () => {
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
    capture = new ConsoleCapture((_, line) => {
      lines.push(line);
      process.stderr.write(`handled ${line}\n`);
    });
    process.stdout.write('one\n');
    expect(lines).toEqual(['one']);
  });
});
