/**
 * The app's package.json in wandb-metadata.json: the nearest one above a directory, bounded, and
 * nothing at all when there is none or it cannot be read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPackage, wandbInternalConfig } from '../../src/wandb/client-info.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';

function project(manifest: string): string {
  const root = tempDir('app-package');
  writeFileSync(join(root, 'package.json'), manifest);
  const nested = join(root, 'dist', 'train');
  mkdirSync(nested, { recursive: true });
  return nested;
}

describe('appPackage', () => {
  it('reads the nearest package.json above the directory: name, version, dependencies', () => {
    const dir = project(
      JSON.stringify({
        name: 'my-app',
        version: '2.1.0',
        dependencies: { 'jepa-loggers': '^0.1.0' },
      }),
    );
    expect(appPackage(dir)).toEqual({
      name: 'my-app',
      version: '2.1.0',
      dependencies: { 'jepa-loggers': '^0.1.0' },
    });
  });

  it('lists at most 500 dependencies and counts the rest', () => {
    const dependencies = Object.fromEntries(
      Array.from({ length: 620 }, (_, i) => [`dep-${i}`, '1.0.0']),
    );
    const found = appPackage(project(JSON.stringify({ name: 'big', dependencies })))!;
    expect(Object.keys(found.dependencies)).toHaveLength(500);
    expect(found.dependenciesOmitted).toBe(120);
  });

  it('gives nothing for a package.json that is not a JSON object', () => {
    expect(appPackage(project('{ not json'))).toBeUndefined();
    expect(appPackage(project('"a string"'))).toBeUndefined();
  });

  it('gives nothing where no directory above has one', () => {
    // The temp directory's parents (the system's tmpdir up to /) hold no package.json.
    expect(appPackage(tempDir('no-package'))).toBeUndefined();
  });
});

describe('wandbInternalConfig', () => {
  it('names this client, its version and Node.js', () => {
    expect(wandbInternalConfig()).toEqual({
      client: 'jepa-loggers',
      cli_version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      node_version: process.versions.node,
    });
  });
});
