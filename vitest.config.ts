import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn real peers (TensorBoard, wandb, the collector): give them room, and keep
    // the two cores of a CI machine from being oversubscribed.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
  },
});
