import { join, relative, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runDirectory, safeRunName } from '../../../src/exporters/tensorboard/run-directory.js';

describe('run directory', () => {
  it('is log_dir/<run name>', () => {
    expect(runDirectory({ logDir: 'logs/tb', runName: 'demo' })).toBe(resolve('logs/tb', 'demo'));
  });

  it('gets a rank suffix when every rank writes', () => {
    expect(runDirectory({ logDir: '/x', runName: 'demo', rank: 3 })).toBe(join('/x', 'demo-rank3'));
  });

  it.each([
    ['../../etc', '____etc'],
    ['..', '_'],
    ['.', '_'],
    ['/abs/path', '_abs_path'],
    ['C:\\Windows', 'C__Windows'],
    ['a/../b', 'a___b'],
    ['.hidden', '_hidden'],
    ['tab\there', 'tab_here'],
    ['  ', 'run'],
    ['', 'run'],
    ['résumé λ 1.5', 'résumé λ 1.5'],
  ])('%j is the directory %j', (name, expected) => {
    expect(safeRunName(name)).toBe(expected);
  });

  it('stays a direct child of log_dir whatever the name', () => {
    const root = resolve('/tmp/tb-root');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
        const inside = relative(root, runDirectory({ logDir: root, runName: name }));
        expect(inside).not.toBe('');
        expect(inside.includes(sep)).toBe(false);
        expect(inside.includes('..')).toBe(false);
        expect(inside.startsWith('.')).toBe(false);
        expect(Array.from(inside).length).toBeLessThanOrEqual(200);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
