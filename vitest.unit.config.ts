import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * Tests that need what `npm test` sets up first: the Python venv with the real readers
 * (TensorBoard, wandb, the OTel SDK), the Collector and Prometheus, Chromium, npm installs of the
 * packed package, or the built package in child processes (which they rebuild when stale). The
 * W&B client's tests are matched where they were and where they are now (test/wandb/).
 */
const NEEDS_SETUP = [
  'test/package/**',
  'test/collector/**',
  'test/bridge/cli.test.ts',
  'test/bridge/python-sdk.test.ts',
  'test/cli/demo.test.ts',
  'test/cli/help.test.ts',
  'test/cli/wandb-sync.test.ts',
  'test/exporters/tensorboard/{crc32c,event-encoder,event-file-writer,processes,record,tensorboard-sink}.test.ts',
  'test/exporters/tensorboard/{readback,system-metrics}.test.ts',
  'test/{exporters/,}wandb/{offline,run-writer,system-and-console}.test.ts',
  'test/events/media.test.ts',
  'test/loggers/{async-logger,conditional,multi-logger,tensorboard-logger,wandb-logger}.test.ts',
  'test/loggers/async/worker-logger.test.ts',
  'test/reliability/{async-kill,disk-full,exit-paths,memory,otlp-receiver,read-only,secrets,shared-log-dir}.test.ts',
  'test/telemetry/lifecycle.test.ts',
];

/** Slow for an inner loop: thousands of generated cases each. */
const SLOW = ['test/reliability/*.property.test.ts'];

/**
 * The inner loop, `npm run test:unit`: everything else, with no Python, apt, Go or network
 * (local fake servers aside). `npm test` runs the whole suite.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, ...NEEDS_SETUP, ...SLOW],
      // These tests spend most of their time waiting (timers, flush timeouts, local servers),
      // not computing: four files at a time overlap the waits on two cores (vitest 130 s -> 86 s
      // here). The full suite keeps two, for its Python and Collector peers.
      maxWorkers: 4,
    },
  }),
);
