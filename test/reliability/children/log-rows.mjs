// A training script for the reliability tests: logs rows (five values, and an 8x8 image every
// 100 steps) through createLogger(<config>), ten rows per turn of the event loop, and ends as
// `ending` says. Runs the compiled package.
//   node log-rows.mjs <dist/index.js> <config JSON> <rows> <ending>
// ending:
//   finish  - calls finish() after the last row; prints "finished"
//   signal  - logs until SIGINT or SIGTERM (handle_signals finishes the run), then stops
//   throw   - throws an uncaught exception after <rows> rows, from a timer
//   reject  - leaves a promise rejection unhandled after <rows> rows
//   forever - logs until killed, flushing every 500 rows
// stdout: `at <step>` after each turn's rows (the last step logged so far); `flushed <step>` after
// a flush; `stopped <step>` when a signal stops it; `throwing <step>` / `rejecting <step>` before
// the crash; `memory <heapUsed> <rss> <arrayBuffers>` every 100 ms.
const [distIndex, config, rows, ending] = process.argv.slice(2);
let stopped = false;
const stop = () => {
  stopped = true;
};
// Before the logger's own handlers (they finish the run): no row after the finish starts.
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const sample = () => {
  const { heapUsed, rss, arrayBuffers } = process.memoryUsage();
  process.stdout.write(`memory ${heapUsed} ${rss} ${arrayBuffers}\n`);
};
sample();
setInterval(sample, 100).unref();

const { createLogger } = await import(distIndex);
const logger = createLogger(JSON.parse(config));
const pixels = new Uint8Array(8 * 8 * 3);
const turn = () => new Promise((resolve) => setImmediate(resolve));
const total = ending === 'signal' || ending === 'forever' ? Number.POSITIVE_INFINITY : Number(rows);

let step = 0;
for (; step < total && !stopped; step++) {
  logger.logMetrics({ loss: 1 / (step + 1), twice: 2 * step, a: step % 7, b: -step, c: 0.5 }, step);
  if (step % 100 === 0) {
    pixels.fill(step % 251);
    logger.logImage('sample', { data: pixels, width: 8, height: 8, channels: 3 }, step);
  }
  if (ending === 'forever' && step % 500 === 499) {
    await logger.flush();
    process.stdout.write(`flushed ${step}\n`);
  }
  if (step % 10 === 9) {
    process.stdout.write(`at ${step}\n`);
    await turn();
  }
}
const last = step - 1;
switch (ending) {
  case 'finish':
    await logger.finish();
    process.stdout.write(`at ${last}\nfinished\n`);
    break;
  case 'signal':
    process.stdout.write(`stopped ${last}\n`);
    break;
  case 'throw':
    process.stdout.write(`throwing ${last}\n`);
    setTimeout(() => {
      throw new Error('boom in training');
    });
    setInterval(() => {}, 1000);
    break;
  case 'reject':
    process.stdout.write(`rejecting ${last}\n`);
    setTimeout(() => Promise.reject(new Error('rejected in training')));
    setInterval(() => {}, 1000);
    break;
  default:
    throw new Error(`unknown ending ${ending}`);
}
