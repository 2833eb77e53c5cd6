/**
 * The `.wandb` framing, checked by an independent reader: the test's own Python code undoes the
 * blocks and chunks (CRC-32 from Python's zlib) and parses each payload with the `wandb`
 * package's `Record` message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../src/wandb/record-framing.js';
import { configRecord, encodeRecord } from '../../src/wandb/records.js';
import { RunWriter } from '../../src/wandb/run-writer.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';
import { readWandbFile } from '../exporters/wandb/wandb-python.js';

describe('RunWriter and the .wandb framing', () => {
  it('names the run directory as W&B does and creates files/', () => {
    const root = tempDir('wandb-writer');
    const start = new Date(2026, 2, 4, 5, 6, 7).getTime();
    const offline = new RunWriter({ root, runId: 'abcd1234', startTimeMs: start, offline: true });
    const online = new RunWriter({ root, runId: 'efgh5678', startTimeMs: start, offline: false });
    offline.close();
    online.close();
    expect(readdirSync(join(root, 'wandb')).sort()).toEqual([
      'offline-run-20260304_050607-abcd1234',
      'run-20260304_050607-efgh5678',
    ]);
    expect(readdirSync(offline.dir).sort()).toEqual(['files', 'run-abcd1234.wandb']);
    expect([...readFileSync(offline.path).subarray(0, 7)]).toEqual([
      0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00,
    ]);
  });

  it('splits records across 32 KiB blocks and pads short block tails; wandb reads them all', async () => {
    const record = (size: number) => configRecord({ x: 'a'.repeat(size) });
    // For each tail length: a first record that ends its block leaving `leave` bytes (below 7 they
    // are zero-filled, from 7 on the next chunk header fits), then one spanning three blocks
    // (FIRST, MIDDLE, LAST chunks), then a small one.
    const files = [0, 3, 6, 7, 8].map(async (leave) => {
      const root = tempDir('wandb-writer');
      const writer = new RunWriter({ root, runId: 'abcd1234', startTimeMs: 0, offline: true });
      const target = BLOCK_SIZE - 7 - 7 - leave;
      let first = target;
      while (encodeRecord(1, record(first)).length > target) first -= 1;
      expect(encodeRecord(1, record(first)).length, `a record of ${target} bytes`).toBe(target);
      const sizes = [first, 3 * BLOCK_SIZE, 10];
      for (const size of sizes) writer.write(record(size));
      writer.close();
      expect(readFileSync(writer.path).length).toBeGreaterThan(4 * BLOCK_SIZE);
      const records = await readWandbFile(writer.path);
      expect(records.map((r) => JSON.parse(r.record.config.update[0].value_json).length)).toEqual(
        sizes,
      );
      expect(records.map((r) => Number(r.record.num))).toEqual([1, 2, 3]);
    });
    await Promise.all(files);
  });
});
