/**
 * The bridge's runs: W&B copies no console output for them, whatever the configuration asks (the
 * bridge is a server; what it prints is no run's), and keeps the rest of the section as given.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backendFactory } from '../../src/bridge/start-bridge.js';
import { LoggingConfig } from '../../src/config/logging-config.js';
import { CollectingDiagnostics } from '../../src/diagnostics.js';
import type { LoggerConfig } from '../../src/loggers/base-logger.js';
import type { BackendContext } from '../../src/loggers/telemetry-logger.js';
import { WandbLogger } from '../../src/loggers/wandb-logger.js';

afterEach(() => vi.restoreAllMocks());

describe('backendFactory', () => {
  it('turns W&B console capture off for every run, the rest of its section as configured', () => {
    const sections: LoggerConfig[] = [];
    vi.spyOn(WandbLogger, 'createBackend').mockImplementation((section) => {
      sections.push(section);
      return { name: 'wandb' };
    });
    const config = LoggingConfig.load({
      backends: ['wandb'],
      wandb: { mode: 'offline', project: 'served', console: 'wrap', capture_output: true },
    });
    const create = backendFactory(config);
    const context = { diagnostics: new CollectingDiagnostics() } as unknown as BackendContext;
    create(context);
    create(context);
    expect(sections).toHaveLength(2);
    for (const section of sections) {
      expect(section).toEqual({
        ...config.section('wandb'),
        console: 'off',
        capture_output: false,
      });
      expect(section.project).toBe('served');
    }
  });
});
