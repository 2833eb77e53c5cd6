// One rank of the load test (bench/scale/load-test.ts): logs `rate` rows a second for `seconds`,
// each a 10-scalar row through the real OTLP backend plus one decorated call (a span), then
// finishes the run. Runs the compiled package.
//   node rank.mjs <package entry (dist/index.js)> <JSON {endpoint, runId, rate, seconds}>
// RANK and WORLD_SIZE come from the environment, as under a launcher.
// stdout, once finished: one JSON line {logged, events, last}: rows logged, the `jepa.metrics`
// events they make (each row, and the decorated call's `time/trainStep` row at the same step),
// and the final row's values.
// stderr: the diagnostics (the OTLP backend reports losses there).
const [entry, json] = process.argv.slice(2);
const { endpoint, runId, rate, seconds } = JSON.parse(json);
const { OtlpLogger, logExecutionTime } = await import(entry);

const rank = Number(process.env.RANK ?? 0);
const logger = new OtlpLogger(
  // Metrics every second: Prometheus then has the last values shortly after the run.
  { endpoint, export_interval: 1 },
  { settings: { run_id: runId, run_name: `scale-${runId}`, project: 'scale', flush_timeout: 300 } },
);
const KEYS = Array.from({ length: 10 }, (_, i) => `scale/v${i}`);
/** Values no other rank or step has, so a misrouted or stale value shows. */
const rowValue = (step, i) => rank * 1e6 + step + i / 10;

const trainStep = logExecutionTime(logger)(function trainStep(step) {
  const row = {};
  for (const [i, key] of KEYS.entries()) row[key] = rowValue(step, i);
  logger.logMetrics(row, step);
});

const total = Math.round(rate * seconds);
const start = performance.now();
let step = 0;
let timedCalls = 0;
// On schedule: each turn logs the rows due by now, so a late turn catches up, but at most
// CATCH_UP rows before it yields, as a training step would: a starved process that logged its
// whole backlog in one turn would hold its exporter's responses past their timeout.
const CATCH_UP = 50;
while (step < total) {
  const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
  const until = Math.min(due, step + CATCH_UP);
  while (step < until) {
    trainStep(step++);
    timedCalls++;
  }
  await new Promise((resolve) => (step < due ? setImmediate(resolve) : setTimeout(resolve, 10)));
}
await logger.finish();
const last = Object.fromEntries(KEYS.map((key, i) => [key, rowValue(total - 1, i)]));
process.stdout.write(`${JSON.stringify({ logged: total, events: total + timedCalls, last })}\n`);
