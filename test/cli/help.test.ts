/**
 * `jepa-loggers --help` and each command's own help, run as users run them (the compiled
 * command): every command listed, every help exits 0 and names the command's options, the texts
 * fit 100 columns, and the README's command-line section names every command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runNode } from '../support/child.js';
import { repoRoot, requireDist } from '../support/dist.js';

const MAIN = join(repoRoot, 'dist/cli/main.js');

/** Each command and the options its help must name (what its argument parser accepts). */
const COMMANDS: Record<string, readonly string[]> = {
  bridge: [
    '--host',
    '--port',
    '--config',
    '--token',
    '--max-body-bytes',
    '--idle-timeout',
    '--help',
  ],
  demo: ['--config', '--help'],
  'validate-config': ['--strict', '--help', 'FILE'],
  'wandb-sync': [
    '--include-online',
    '--include-synced',
    '--project',
    '--entity',
    '--timeout',
    '--dry-run',
    '--help',
    'PATH',
  ],
};

const cli = (...args: string[]) => runNode([MAIN, ...args], { timeoutMs: 20_000 });

describe('jepa-loggers --help', () => {
  let overview: string;

  beforeAll(async () => {
    requireDist();
    const result = await cli('--help');
    expect(result.code).toBe(0);
    overview = result.stdout;
  });

  it('lists every command, and the same text for -h, help and no arguments', async () => {
    const listed = [...overview.matchAll(/^ {2}([a-z][a-z-]+) /gm)].map((m) => m[1]);
    expect(listed).toEqual([...Object.keys(COMMANDS), 'help']);
    for (const args of [['-h'], ['help'], []]) {
      const result = await cli(...args);
      expect(result).toMatchObject({ code: 0, stdout: overview });
    }
  });

  it.each(Object.entries(COMMANDS))(
    '%s --help exits 0 and names its options',
    async (name, options) => {
      const result = await cli(name, '--help');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: jepa-loggers ${name}\\b`));
      for (const option of options) expect(result.stdout).toContain(option);
      for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
      expect((await cli(name, '-h')).stdout).toBe(result.stdout);
      expect((await cli('help', name)).stdout).toBe(result.stdout);
    },
  );

  it('fits 100 columns, prints the version, and refuses an unknown command with exit 2', async () => {
    for (const line of overview.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
    const unknown = await cli('trian');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("jepa-loggers: unknown command 'trian'");
    expect(unknown.stderr).toContain('Usage: jepa-loggers <command>');
  });

  it("is what the README's command-line section shows", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const name of Object.keys(COMMANDS)) expect(readme).toContain(`jepa-loggers ${name}`);
  });
});
