import { describe, expect, it } from 'vitest';
import { ConsoleLogger } from '../../src/loggers/console-logger.js';
import { CaptureStream } from '../support/capture-stream.js';

describe('seed: Console Logger', () => {
  it("logs {loss: 0.5, accuracy: 0.85} at step 100 in the seed's format", async () => {
    const stream = new CaptureStream();
    const logger = new ConsoleLogger(
      { level: 'INFO', format: '%(asctime)s - %(levelname)s - %(message)s', colored: true, stream },
      { settings: { handle_signals: false } },
    );
    logger.logMetrics({ loss: 0.5, accuracy: 0.85 }, 100);
    await logger.finish();
    const [row, end] = stream.lines;
    expect(row).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - INFO - step 100 \| loss 0\.5000 \| accuracy 0\.8500$/,
    );
    expect(end).toMatch(/ - INFO - run finished \(exit code 0\)$/);
    // A captured stream is not a terminal: no colour codes even though colored is true.
    expect(stream.text).not.toContain('\u001b[');
  });

  it('rejects a bad level naming the key, and a format with an unknown field', () => {
    expect(
      () => new ConsoleLogger({ level: 'LOUD' }, { settings: { handle_signals: false } }),
    ).toThrow(/console\.level/);
    expect(
      () => new ConsoleLogger({ format: '%(bogus)s' }, { settings: { handle_signals: false } }),
    ).toThrow(/unknown field '%\(bogus\)s'/);
  });
});
