import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runValidateConfig } from '../../src/cli/validate-config.js';
import { CaptureStream } from '../support/capture-stream.js';

const seedYaml = readFileSync(
  join(import.meta.dirname, '../fixtures/config/seed-logging.yaml'),
  'utf8',
);

function validate(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'jepa-validate-')), 'logging.yaml');
  writeFileSync(file, text);
  const out = new CaptureStream();
  const err = new CaptureStream();
  const code = runValidateConfig([file], out, err);
  return { file, code, out: out.text, err: err.text };
}

describe('jepa-loggers validate-config', () => {
  it("names the line of a misspelt key in the seed's YAML and suggests the right one", () => {
    const text = seedYaml.replace(
      '  # Global settings\n  log_frequency: 10',
      '  # Global settings\n  log_frequncy: 10',
    );
    const misspeltLine = text.split('\n').findIndex((line) => line.includes('log_frequncy')) + 1;
    const { file, code, err, out } = validate(text);
    expect(code).toBe(0);
    expect(err).toBe(
      `warning: ${file}:${misspeltLine}: log_frequncy: unknown key, ignored (did you mean 'log_frequency'?)\n`,
    );
    expect(out).toContain(`# ${file}: resolved configuration (secrets masked)`);
    // The misspelt key was ignored, so the global default applies.
    expect(out).toMatch(/^log_frequency: 1$/m);
  });

  it('prints every error with file and line and exits 1', () => {
    const { file, code, err } = validate(
      'logging:\n  backends: [console, tensorbord]\n  console:\n    colored: maybe\n',
    );
    expect(code).toBe(1);
    expect(err).toContain(`error: ${file}:2: backends.1: unknown backend 'tensorbord'`);
    expect(err).toContain("(did you mean 'tensorboard'?)");
    expect(err).toContain(
      `error: ${file}:4: console.colored: expected boolean, got string "maybe"`,
    );
  });

  it('prints the resolved configuration with secrets masked', () => {
    const key = 'ab12'.repeat(10);
    const { out, err } = validate(
      `logging:\n  backends: [wandb]\n  wandb:\n    api_key: "${key}"\n    mode: offline\n`,
    );
    expect(out).toMatch(/api_key: "\*\*\*"/);
    expect(out).toMatch(/mode: offline/);
    expect(out + err).not.toContain(key);
  });
});
