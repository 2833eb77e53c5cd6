/**
 * The client's run on its own, offline: what it writes is the run that `readRecordedRun` (the
 * sync's reader) reads back, rows merged per step, the config's `_wandb` key first, the exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { parseWandbJson, RunWriter, readRecordedRun, WandbRun } from '../../src/wandb/index.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';

const info = {
  id: 'runab123',
  project: 'client',
  displayName: 'client test',
  tags: [],
  host: 'test-host',
  startTimeMs: Date.now(),
};

describe('WandbRun, offline', () => {
  it('writes a run that readRecordedRun reads back: rows, config, summary, files, exit code', async () => {
    const writer = new RunWriter({
      root: tempDir('wandb-run'),
      runId: info.id,
      startTimeMs: info.startTimeMs,
      offline: true,
    });
    const run = new WandbRun({ run: info, writer, diagnostics: new CollectingDiagnostics() });
    run.updateConfig({ lr: 0.001 });
    run.log(0, info.startTimeMs + 10, { loss: 1 });
    run.log(0, info.startTimeMs + 20, { accuracy: 0.5 });
    run.log(2, info.startTimeMs + 30, { loss: 0.5 });
    expect(run.step).toBe(2);
    expect(run.saveFile('notes.txt', 'hello', 'notes')).toBe(true);
    await run.finish(3);

    const { run: read, damage } = readRecordedRun(join(writer.dir, `run-${info.id}.wandb`));
    expect(damage).toEqual([]);
    expect(read.history.map((line) => parseWandbJson(line))).toMatchObject([
      { _step: 0, loss: 1, accuracy: 0.5 },
      { _step: 2, loss: 0.5 },
    ]);
    expect(read.config).toMatchObject({ _wandb: { client: 'jepa-loggers' }, lr: 0.001 });
    expect(parseWandbJson(read.summaryJson)).toMatchObject({ loss: 0.5, accuracy: 0.5 });
    expect(read.files).toEqual(['wandb-metadata.json', 'notes.txt']);
    expect(readFileSync(join(writer.filesDir, 'notes.txt'), 'utf8')).toBe('hello');
    expect(read.exitCode).toBe(3);
  });
});
