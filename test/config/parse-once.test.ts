import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import { createLogger } from '../../src/loggers/multi-logger.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('one createLogger with four backends parses its configuration once', async () => {
  // Every parse, from a dict, a YAML file or a section given in code, goes through it.
  const parse = vi.spyOn(LoggingConfig as unknown as { parse: () => LoggingConfig }, 'parse');
  const dir = mkdtempSync(path.join(tmpdir(), 'parse-once-'));
  const logger = createLogger(
    {
      backends: ['console', 'tensorboard', 'wandb', 'otlp'],
      run_name: 'once',
      console: { level: 'ERROR' },
      tensorboard: { log_dir: dir },
      wandb: { mode: 'offline', dir, project: 'parse-once' },
      otlp: { endpoint: 'http://127.0.0.1:9', timeout: 1 },
    },
    { env: {}, diagnostics: new CollectingDiagnostics() },
  );
  expect(parse).toHaveBeenCalledTimes(1);
  expect(logger.settings.project).toBe('parse-once');
  await logger.finish();
});
