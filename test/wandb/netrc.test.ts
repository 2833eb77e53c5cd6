import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netrcPassword, parseNetrc } from '../../src/wandb/netrc.js';
import { tempDir } from '../exporters/wandb/temp-dirs.js';

describe('netrc (where `wandb login` keeps the key)', () => {
  it('finds the password of a machine, on one line or several', () => {
    const text = [
      'machine example.org login a password one',
      'machine api.wandb.ai',
      '  login user',
      '  password two',
      'macdef init',
      'machine fake password three',
      '',
      'default login x password four',
    ].join('\n');
    const passwords = parseNetrc(text);
    expect(passwords.get('example.org')).toBe('one');
    expect(passwords.get('api.wandb.ai')).toBe('two');
    expect(passwords.has('fake')).toBe(false);
  });

  it('reads NETRC or ~/.netrc, and is quiet when there is none', () => {
    const dir = tempDir('netrc');
    writeFileSync(join(dir, '.netrc'), 'machine 127.0.0.1 login user password k1\n');
    expect(netrcPassword('127.0.0.1', { HOME: dir })).toBe('k1');
    expect(netrcPassword('127.0.0.1', { HOME: join(dir, 'nowhere') })).toBeUndefined();
    writeFileSync(join(dir, 'other'), 'machine 127.0.0.1 password k2\n');
    expect(netrcPassword('127.0.0.1', { HOME: dir, NETRC: join(dir, 'other') })).toBe('k2');
  });
});
