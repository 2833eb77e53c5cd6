// Logs 100 rows and calls process.exit() without finish(): the exit flush must keep them.
//   node exit-without-finish.mjs <dist/index.js> <log_dir>
const [distIndex, logDir] = process.argv.slice(2);
const { TensorBoardLogger } = await import(distIndex);

const logger = new TensorBoardLogger(
  { log_dir: logDir, flush_secs: 3600 },
  { settings: { run_name: 'exited', handle_signals: false }, env: {} },
);
for (let step = 0; step < 100; step++) logger.logMetrics({ loss: step / 100 }, step);
// The run hands rows to its exporters on the next turn of the event loop.
await new Promise((resolve) => setImmediate(resolve));
process.exit(0);
