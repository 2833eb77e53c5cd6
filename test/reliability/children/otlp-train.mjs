// A training process for the OTLP fault tests. Logs rows through an OtlpLogger (and a span every
// 100 rows) until SIGTERM, then stops logging; the lifecycle hooks finish the run. Runs the
// compiled package.
//   node otlp-train.mjs <dist/index.js> <otlp section JSON> <pace ms> [values per row]
// pace 0 logs as fast as it can, yielding to the event loop every 1000 rows.
// stdout (one line each): `step <n> <unix ms>` every 10 rows, `memory <heapUsed> <rss>` every
// 200 ms, and when it stops `last-step <n>`, `slowest-call <ms>` (one logMetrics call) and
// `slowest-turn <ms>` (one turn of the loop, awaits included). stderr: the diagnostics.
const [distIndex, section, pace, width = '3'] = process.argv.slice(2);
let stopped = false;
// Before the logger's own handler (which finishes the run): no row after the finish starts.
process.on('SIGTERM', () => {
  stopped = true;
});
const { OtlpLogger } = await import(distIndex);

const logger = new OtlpLogger(JSON.parse(section), {
  settings: {
    run_name: 'otlp-faults',
    run_id: 'faults01',
    flush_timeout: 120,
    handle_signals: true,
  },
});
const paceMs = Number(pace);
const keys = Array.from({ length: Number(width) }, (_, i) => `train/value${i}`);
let slowestCall = 0;
let slowestTurn = 0;
let step = -1;

const sample = () => {
  const { heapUsed, rss } = process.memoryUsage();
  process.stdout.write(`memory ${heapUsed} ${rss}\n`);
};
sample();
setInterval(sample, 200).unref();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let turnStart = performance.now();
while (!stopped) {
  step++;
  const row = {};
  for (const [i, key] of keys.entries()) row[key] = step + i / 10;
  const before = performance.now();
  logger.logMetrics(row, step);
  if (step % 100 === 0) logger.run.tracer.startSpan('step').end();
  const after = performance.now();
  slowestCall = Math.max(slowestCall, after - before);
  if (step % 10 === 0) process.stdout.write(`step ${step} ${Date.now()}\n`);
  if (paceMs > 0 || step % 1000 === 999) {
    await (paceMs > 0 ? sleep(paceMs) : new Promise((resolve) => setImmediate(resolve)));
    const now = performance.now();
    slowestTurn = Math.max(slowestTurn, now - turnStart);
    turnStart = now;
  }
}
process.stdout.write(
  `last-step ${step}\nslowest-call ${slowestCall}\nslowest-turn ${slowestTurn}\n`,
);
