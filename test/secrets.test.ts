import { describe, expect, it } from 'vitest';
import { isSecretName, looksLikeSecret, maskSecretNames } from '../src/secrets.js';

describe('isSecretName', () => {
  it.each([
    ['apiKey', true],
    ['api_key', true],
    ['WANDB_TOKEN', true],
    ['client_secret', true],
    ['passwd', true],
    ['authorization', true],
    ['credentials', true],
    ['batch', false],
    ['learning_rate', false],
  ])('%s: %s', (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });
});

describe('looksLikeSecret', () => {
  it.each([
    ['a W&B key', 'a1b2c3d4e5'.repeat(4), true],
    ['a W&B key in a URL', `https://${'0123456789abcdef'.repeat(2)}.example`, true],
    ['a GitHub token', `ghp_${'A1b2'.repeat(9)}`, true],
    ['a bearer header', 'Bearer abc', true],
    ['a URL with a password', 'https://user:hunter2@wandb.example', true],
    ['a URL', 'https://api.wandb.ai', false],
    ['a path', 'logs/tensorboard/run-7', false],
    ['a long word', 'a_very_long_experiment_name', false],
    ['a long number', '12345678901234567890123', false],
  ])('%s: %s', (_label, text, secret) => {
    expect(looksLikeSecret(text)).toBe(secret);
  });
});

describe('maskSecretNames', () => {
  it('masks the values of secret names at any depth, a mapping keeping its keys', () => {
    expect(
      maskSecretNames({
        lr: 0.1,
        api_key: 'k',
        wandb: { token: 't', project: 'p' },
        headers: { Authorization: { scheme: 'Bearer' } },
        tags: ['a'],
      }),
    ).toEqual({
      lr: 0.1,
      api_key: '***',
      wandb: { token: '***', project: 'p' },
      headers: { Authorization: { scheme: '***' } },
      tags: ['a'],
    });
  });
});
