// Logs rows (and now and then an image) as fast as it can, flushing every 50 rows and saying so
// on stdout, until it is killed. Runs the compiled package.
//   node log-until-killed.mjs <dist/index.js> <log_dir>
const [distIndex, logDir] = process.argv.slice(2);
const { TensorBoardLogger } = await import(distIndex);

const logger = new TensorBoardLogger(
  { log_dir: logDir, flush_secs: 0.1 },
  { settings: { run_name: 'killed', handle_signals: false }, env: {} },
);
const pixels = new Uint8Array(64 * 64 * 3);
for (let step = 0; ; step++) {
  logger.logMetrics({ loss: 1 / (step + 1), step_copy: step }, step);
  if (step % 25 === 0) {
    pixels.fill(step % 256);
    logger.logImage('noise', { data: pixels, width: 64, height: 64, channels: 3 }, step);
  }
  if (step % 50 === 49) {
    await logger.flush();
    process.stdout.write(`flushed ${step}\n`);
  }
}
