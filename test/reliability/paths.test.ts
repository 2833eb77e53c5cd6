/**
 * Names that end up in paths cannot leave `log_dir` or the W&B run directory: run names (the
 * TensorBoard run directory, also when the bridge takes them from a producer's resource), media
 * tags (W&B media file names), run ids (the W&B run directory). Names with `..`, absolute paths,
 * separators of both kinds, NUL and other control characters, and names too long for a file
 * system are tried as properties (fast-check) and in real runs that write to disk.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { runDirectory } from '../../src/exporters/tensorboard/run-directory.js';
import { createLogger } from '../../src/loggers/multi-logger.js';
import { WandbLogger } from '../../src/loggers/wandb-logger.js';
import { mediaFile } from '../../src/wandb/media.js';
import { RunWriter } from '../../src/wandb/run-writer.js';

const scratch = mkdtempSync(join(tmpdir(), 'paths-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const nasty = fc.constantFrom(
  '..',
  '.',
  '../escape',
  '../../../../../../tmp/escape',
  `${scratch}/absolute`,
  '/etc/passwd',
  'C:\\Windows\\System32',
  '..\\..\\escape',
  'a/../../b',
  'nul\u0000byte',
  'new\nline',
  '~',
  '.hidden',
  '   ',
  '',
  'ü'.repeat(200),
  '🦏'.repeat(100),
  'x'.repeat(1000),
);
const name = fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 300 }));

/** True when `path` is `parent` or inside it. */
function inside(parent: string, path: string): boolean {
  const rel = relative(resolve(parent), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

describe('the TensorBoard run directory', () => {
  it('is one real directory right under log_dir, whatever the run name and rank', () => {
    const logDir = join(scratch, 'tb-property');
    fc.assert(
      fc.property(name, fc.option(fc.nat(4096)), (runName, rank) => {
        const dir = runDirectory({ logDir, runName, rank: rank ?? undefined });
        expect(dirname(dir)).toBe(resolve(logDir));
        expect(['', '.', '..']).not.toContain(basename(dir));
        expect(Buffer.byteLength(basename(dir))).toBeLessThanOrEqual(255);
        // The file system takes it.
        mkdirSync(dir, { recursive: true });
        expect(statSync(dir).isDirectory()).toBe(true);
      }),
      { numRuns: 3000 },
    );
    expect(readdirSync(scratch)).toEqual(['tb-property']);
  });
});

describe('W&B media files', () => {
  it('stay in the run directory, as files the file system takes, whatever the tag', () => {
    const writer = new RunWriter({
      root: join(scratch, 'wandb-property'),
      runId: 'mediapth',
      startTimeMs: Date.now(),
      offline: true,
    });
    fc.assert(
      fc.property(
        name,
        fc.constantFrom('images', 'html') as fc.Arbitrary<'images' | 'html'>,
        fc.nat(),
        (tag, kind, step) => {
          const file = mediaFile(
            kind,
            tag,
            step,
            Buffer.from(tag),
            kind === 'images' ? 'png' : 'html',
          );
          const written = writer.writeFile(file.path, file.bytes);
          expect(dirname(written)).toBe(join(writer.filesDir, 'media', kind));
          expect(Buffer.byteLength(basename(written))).toBeLessThanOrEqual(255);
        },
      ),
      { numRuns: 2000 },
    );
    writer.close();
    for (const file of files(join(scratch, 'wandb-property')))
      expect(inside(writer.dir, file), file).toBe(true);
  });
});

describe('a real run with hostile names', () => {
  it('writes only inside log_dir and the W&B run directory; bad run ids are refused by name', async () => {
    const root = join(scratch, 'run');
    const logDir = join(root, 'logs');
    const wandbDir = join(root, 'wb');
    const diagnostics = new CollectingDiagnostics();
    const hostile = [
      '../../escape',
      `${scratch}/absolute-run`,
      'a\\..\\b',
      'nul\u0000',
      '🦏'.repeat(100),
    ];
    for (const [i, runName] of hostile.entries()) {
      const logger = createLogger(
        {
          backends: ['tensorboard', 'wandb'],
          run_name: runName,
          handle_signals: false,
          tensorboard: { log_dir: logDir },
          wandb: {
            mode: 'offline',
            dir: wandbDir,
            name: runName,
            tags: ['../tag', '/abs/tag'],
            group: '../group',
            job_type: '../../job',
          },
        },
        { diagnostics, env: { JEPA_RUN_ID: `hostile${i}` } },
      );
      const pixels = { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 };
      for (const tag of ['../../image', '/etc/image', 'a\\b', 'x'.repeat(400), '..']) {
        logger.logMetrics({ [tag]: 1 }, 0);
        logger.logImage(tag, pixels, 0);
        logger.logText(tag, 'text', 0);
        logger.logHistogram(tag, [1, 2, 3], 0);
      }
      await logger.logModel(Buffer.from('weights'), 'model.v1');
      await logger.finish();
    }
    expect(diagnostics.at('ERROR')).toEqual([]);
    expect(
      diagnostics.messages.filter((m) => /not saved|cannot create|ENAMETOOLONG/.test(m.message)),
    ).toEqual([]);
    expect(readdirSync(root).sort()).toEqual(['logs', 'wb']);
    expect(readdirSync(logDir)).toHaveLength(hostile.length);
    const runDirs = readdirSync(join(wandbDir, 'wandb'));
    expect(runDirs).toHaveLength(hostile.length);
    for (const dir of runDirs) expect(dir).toMatch(/^offline-run-\d{8}_\d{6}-hostile\d$/);
    for (const file of files(root)) {
      const ok =
        readdirSync(logDir).some((d) => inside(join(logDir, d), file)) ||
        runDirs.some((d) => inside(join(wandbDir, 'wandb', d), file));
      expect(ok, file).toBe(true);
    }
    expect(existsSync(`${scratch}/absolute-run`)).toBe(false);
    expect(existsSync(join(scratch, 'escape'))).toBe(false);
    expect(readdirSync(scratch).sort()).toEqual(
      ['run', 'tb-property', 'wandb-property'].filter((d) => existsSync(join(scratch, d))),
    );

    for (const id of ['../../../x', 'ABCDEFGH', 'abc/defg', '']) {
      expect(
        () =>
          new WandbLogger(
            { mode: 'offline', dir: wandbDir, id },
            { env: {}, settings: { handle_signals: false } },
          ),
      ).toThrow(/Invalid logging configuration: (run_id|wandb\.id): /);
    }
    expect(() =>
      createLogger(
        { backends: ['wandb'], wandb: { mode: 'offline', dir: wandbDir } },
        { env: { JEPA_RUN_ID: '../x' } },
      ),
    ).toThrow(/Invalid logging configuration: run_id: .*"\.\.\/x"/);
    expect(readdirSync(join(wandbDir, 'wandb'))).toHaveLength(hostile.length);
  });
});
