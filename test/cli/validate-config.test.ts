import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runValidateConfig, VALIDATE_CONFIG_USAGE } from '../../src/cli/validate-config.js';
import { CaptureStream } from '../support/capture-stream.js';

const seedYaml = readFileSync(
  join(import.meta.dirname, '../fixtures/config/seed-logging.yaml'),
  'utf8',
);
/** The seed's YAML with its global `log_frequency` misspelt, and the line of the typo. */
const misspelt = seedYaml.replace(
  '  # Global settings\n  log_frequency: 10',
  '  # Global settings\n  log_frequncy: 10',
);
const misspeltLine = misspelt.split('\n').findIndex((line) => line.includes('log_frequncy')) + 1;

const KEY = 'ab12'.repeat(10);

/**
 * Runs the command on `text` saved as a file, with `env` as the whole environment: HOME is an
 * empty directory, so no ~/.netrc of this machine is read unless `netrc` writes one.
 */
function validate(
  text: string,
  options: { flags?: string[]; env?: NodeJS.ProcessEnv; netrc?: string } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'jepa-validate-'));
  const file = join(dir, 'logging.yaml');
  writeFileSync(file, text);
  if (options.netrc !== undefined) writeFileSync(join(dir, '.netrc'), options.netrc);
  const out = new CaptureStream();
  const err = new CaptureStream();
  const code = runValidateConfig([...(options.flags ?? []), file], {
    out,
    err,
    env: { HOME: dir, ...options.env },
  });
  return { file, code, out: out.text, err: err.text };
}

describe('jepa-loggers validate-config', () => {
  it("names the line of a misspelt key in the seed's YAML and suggests the right one", () => {
    const { file, code, err, out } = validate(misspelt, { env: { WANDB_API_KEY: KEY } });
    expect(code).toBe(0);
    expect(err).toBe(
      `warning: ${file}:${misspeltLine}: log_frequncy: unknown key, ignored (did you mean 'log_frequency'?)\n`,
    );
    expect(out).toContain(`# ${file}: resolved configuration (secrets masked)`);
    // The misspelt key was ignored, so the global default applies.
    expect(out).toMatch(/^log_frequency: 1$/m);
  });

  it('fails on that warning with --strict, naming the key, the line and the suggestion', () => {
    const { file, code, err } = validate(misspelt, {
      flags: ['--strict'],
      env: { WANDB_API_KEY: KEY },
    });
    expect(code).toBe(1);
    expect(err).toBe(
      `warning: ${file}:${misspeltLine}: log_frequncy: unknown key, ignored (did you mean 'log_frequency'?)\n` +
        `${file}: 0 error(s), 1 warning(s); --strict makes warnings fail\n`,
    );
  });

  it('passes --strict when there is nothing to warn about', () => {
    const { code, err } = validate(seedYaml, { flags: ['--strict'], env: { WANDB_API_KEY: KEY } });
    expect({ code, err }).toEqual({ code: 0, err: '' });
  });

  it('prints every error with file and line, and the warnings with them, and exits 1', () => {
    const { file, code, err, out } = validate(
      'logging:\n  backends: [console, tensorbord]\n  console:\n    colored: maybe\n    levle: INFO\n',
    );
    expect(code).toBe(1);
    expect(err).toContain(`error: ${file}:2: backends.1: unknown backend 'tensorbord'`);
    expect(err).toContain("(did you mean 'tensorboard'?)");
    expect(err).toContain(
      `error: ${file}:4: console.colored: expected boolean, got string "maybe"`,
    );
    expect(err).toContain(
      `warning: ${file}:5: console.levle: unknown console key, ignored (did you mean 'level'?)`,
    );
    expect(err).toMatch(/: 2 error\(s\), 1 warning\(s\); the configuration cannot be used\n$/);
    expect(out).toBe('');
  });

  describe('an online W&B backend', () => {
    const online = 'logging:\n  backends: [wandb]\n  wandb:\n    project: p\n';

    it('is an error without an API key, naming the three ways to give one', () => {
      const { file, code, err, out } = validate(online);
      expect(code).toBe(1);
      const [first, ...rest] = err.split('\n');
      expect(first).toBe(
        `error: ${file}: wandb.api_key: W&B online mode needs an API key for https://api.wandb.ai: ` +
          'set WANDB_API_KEY, set wandb.api_key in the configuration, or run `wandb login` ' +
          "(it saves the key in ~/.netrc); or use mode 'offline' and `wandb sync` later",
      );
      expect(rest).toEqual([
        `${file}: 1 error(s), 0 warning(s); the configuration cannot be used`,
        '',
      ]);
      // The configuration itself is fine: it is shown, to see what would be used.
      expect(out).toMatch(/^ {2}mode: online$/m);
    });

    it.each([
      ['WANDB_API_KEY', { env: { WANDB_API_KEY: KEY } }],
      ['wandb.api_key', { text: `${online}    api_key: "${KEY}"\n` }],
      ['~/.netrc', { netrc: `machine api.wandb.ai\n  login user\n  password ${KEY}\n` }],
    ] as const)('passes with a key from %s, and never prints it', (_, given) => {
      const { code, out, err } = validate('text' in given ? given.text : online, {
        env: 'env' in given ? given.env : {},
        netrc: 'netrc' in given ? given.netrc : undefined,
      });
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(out + err).not.toContain(KEY);
    });

    it("looks in netrc for the configured server's host", () => {
      const { code, err } = validate(`${online}    base_url: https://wandb.example.com\n`, {
        netrc: `machine api.wandb.ai password ${KEY}\n`,
      });
      expect(code).toBe(1);
      expect(err).toContain('needs an API key for https://wandb.example.com:');
      expect(err).not.toContain(KEY);
    });

    it.each(['offline', 'disabled'])('needs no key in mode %s', (mode) => {
      const { code, err } = validate(`${online}    mode: ${mode}\n`);
      expect({ code, err }).toEqual({ code: 0, err: '' });
    });
  });

  it('prints the resolved configuration with secrets masked', () => {
    const { out, err } = validate(
      `logging:\n  backends: [wandb]\n  wandb:\n    api_key: "${KEY}"\n    mode: offline\n`,
    );
    expect(out).toMatch(/api_key: "\*\*\*"/);
    expect(out).toMatch(/mode: offline/);
    expect(out + err).not.toContain(KEY);
  });

  it('takes --help, and refuses unknown options and a missing or second file with exit code 2', () => {
    const help = new CaptureStream();
    expect(runValidateConfig(['--help'], { out: help })).toBe(0);
    expect(help.text).toBe(VALIDATE_CONFIG_USAGE);
    for (const args of [[], ['a.yaml', 'b.yaml'], ['--strcit', 'a.yaml']]) {
      const err = new CaptureStream();
      expect(runValidateConfig(args, { err })).toBe(2);
      expect(err.text).toContain(VALIDATE_CONFIG_USAGE);
    }
  });
});
