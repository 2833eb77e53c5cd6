// A training script for the AsyncLogger kill test: a loop that never yields (1 ms of synchronous
// work a step, as tensor code does), a row every step through an AsyncLogger built from
// configuration (its backends in the worker), until killed. Runs the compiled package.
//   node async-rows.mjs <dist/index.js> <config JSON> [<rows>]
// With <rows>: logs that many rows and calls process.exit(0) without finish(). stdout: `at <step>
// <unix ms>` every 50 steps (synchronous writes: stdout is a pipe).
import { writeSync } from 'node:fs';

const [distIndex, config, rows] = process.argv.slice(2);
const total = rows === undefined ? Number.POSITIVE_INFINITY : Number(rows);
const { AsyncLogger } = await import(distIndex);
const logger = new AsyncLogger(JSON.parse(config));

const work = (ms) => {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
};

for (let step = 0; step < total; step++) {
  logger.logMetrics({ loss: 1 / (step + 1), step_copy: step }, step);
  if (rows === undefined) work(1);
  if (step % 50 === 0) writeSync(1, `at ${step} ${Date.now()}\n`);
}
process.exit(0);
