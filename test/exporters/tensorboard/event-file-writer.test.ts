import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../../src/diagnostics.js';
import {
  EventFileWriter,
  eventFileName,
} from '../../../src/exporters/tensorboard/event-file-writer.js';
import { ScalarRowEncoder } from '../../../src/exporters/tensorboard/scalar-row-encoder.js';
import { accumulate, readRecords } from './readers.js';

const scratch = mkdtempSync(join(tmpdir(), 'tb-writer-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const rows = new ScalarRowEncoder();
const row = (step: number, loss: number) =>
  rows.encode({ kind: 'metrics', timeMs: 1_767_268_800_000 + step, step, values: { loss } });

describe('EventFileWriter', () => {
  it("names files TensorBoard's way: 10-digit seconds, host, pid, counter", () => {
    expect(eventFileName(1_767_268_800_999, 'gpu-7', 4242, 3)).toBe(
      'events.out.tfevents.1767268800.gpu-7.4242.3',
    );
    expect(eventFileName(999_999, 'h', 1, 0)).toBe('events.out.tfevents.0000000999.h.1.0');
  });

  it('creates the run directory and a file that starts with file_version, readable at once', async () => {
    const dir = join(scratch, 'fresh', 'run');
    const writer = new EventFileWriter({ dir, diagnostics: new CollectingDiagnostics() });
    const name = new RegExp(
      `^events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replace(/\./g, '\\.')}\\.${process.pid}\\.\\d+$`,
    );
    expect(readdirSync(dir)).toHaveLength(1);
    expect(readdirSync(dir)[0]).toMatch(name);
    expect((await accumulate(writer.path)).file_version).toBe(2);
    writer.close();
  });

  it('keeps records in memory until a flush, then writes them whole', async () => {
    const dir = join(scratch, 'flush');
    const writer = new EventFileWriter({ dir, diagnostics: new CollectingDiagnostics() });
    const before = statSync(writer.path).size;
    for (let step = 0; step < 10; step++) writer.write(row(step, step / 10));
    expect(statSync(writer.path).size).toBe(before);
    writer.flush();
    writer.close();
    const seen = await accumulate(dir);
    expect(seen.scalars.loss!.map(([step, value]) => [step, value])).toEqual(
      Array.from({ length: 10 }, (_, step) => [step, Math.fround(step / 10)]),
    );
  });

  it('appends records encoded straight into its buffer', async () => {
    const dir = join(scratch, 'append');
    const writer = new EventFileWriter({ dir, diagnostics: new CollectingDiagnostics() });
    for (let step = 1; step <= 3; step++) {
      const event = {
        kind: 'metrics',
        timeMs: 1_767_268_800_000,
        step,
        values: { x: step },
      } as const;
      writer.append(rows.prepare(event), (out, offset) => rows.encodeInto(event, out, offset));
    }
    writer.close();
    const seen = await accumulate(dir);
    expect(seen.scalars.x!.map(([step, value]) => [step, value])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('flushes by itself when the buffer reaches its limit', async () => {
    const dir = join(scratch, 'limit');
    const writer = new EventFileWriter({
      dir,
      diagnostics: new CollectingDiagnostics(),
      maxBufferBytes: 1000,
    });
    for (let step = 0; step < 100; step++) writer.write(row(step, 1));
    const [read] = await readRecords([writer.path]);
    // Whole records only, at least 1000 bytes' worth, and not the unflushed tail.
    expect(read!.error).toBeNull();
    expect(read!.records).toBeGreaterThan(1 + 1000 / 40);
    expect(read!.records).toBeLessThan(101);
    writer.close();
    expect((await readRecords([writer.path]))[0]!.records).toBe(101);
  });

  it('gives two writers of one directory two files, and warns', () => {
    const dir = join(scratch, 'two');
    const diagnostics = new CollectingDiagnostics();
    const a = new EventFileWriter({ dir, diagnostics });
    const b = new EventFileWriter({ dir, diagnostics });
    expect(a.path).not.toBe(b.path);
    expect(readdirSync(dir)).toHaveLength(2);
    expect(diagnostics.at('WARNING')).toEqual([expect.stringMatching(/two writers in .*two/)]);
    a.close();
    b.close();
    // Closed writers free the directory: a later writer there is no second writer.
    new EventFileWriter({ dir, diagnostics }).close();
    expect(diagnostics.at('WARNING')).toHaveLength(1);
  });

  it('reports a directory it cannot create, and never throws', () => {
    const blocker = join(scratch, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const diagnostics = new CollectingDiagnostics();
    const writer = new EventFileWriter({ dir: join(blocker, 'run'), diagnostics });
    writer.write(row(1, 1));
    writer.flush();
    writer.close();
    expect(diagnostics.at('ERROR')).toEqual([
      expect.stringMatching(/cannot create .*a-file.*run.*this run writes no events/),
    ]);
    expect(readFileSync(blocker, 'utf8')).toBe('not a directory');
  });

  it('ignores writes after close, and closes once', () => {
    const dir = join(scratch, 'closed');
    const writer = new EventFileWriter({ dir, diagnostics: new CollectingDiagnostics() });
    writer.close();
    const size = statSync(writer.path).size;
    writer.write(row(1, 1));
    writer.flush();
    writer.close();
    expect(statSync(writer.path).size).toBe(size);
  });
});
