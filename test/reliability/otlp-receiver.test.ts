/**
 * The OTLP path when the receiver misbehaves, with a real receiver (the bridge, an OTLP/HTTP
 * receiver that prints every row it gets) and a real training process: the receiver down when
 * training starts, killed with SIGKILL mid-run and started again, and answering only after 10 s.
 * Training never waits for it; what is lost meanwhile is counted and reported, and the count is
 * exact; delivery resumes within one export interval of the receiver's return; memory stays
 * bounded by the queue, not by the outage.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../exporters/tensorboard/built.js';
import { eventually, freePort, type ManagedProcess, sleep } from '../support/processes.js';
import { BridgeReceiver, SlowProxy } from './receivers.js';
import { TrainingChild } from './training-child.js';

/** The OTLP default export interval (ours): the bound on resuming delivery. */
const EXPORT_INTERVAL_MS = 10_000;
/** Longer than the exporter's 10 s timeout, so that an export in flight fails for good. */
const OUTAGE_MS = 12_000;
const MiB = 1024 * 1024;

beforeAll(() => ensureBuilt(), 180_000);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((stop) => stop()));
});

function track<T extends { process: ManagedProcess }>(thing: T): T {
  cleanup.push(() => thing.process.stop(2_000));
  return thing;
}

/** Waits until `receiver` printed a row at or after `step`; resolves with `Date.now()` then. */
async function arrivalOf(receiver: BridgeReceiver, step: number, timeoutMs = 30_000) {
  return eventually(
    `step ${step} at the receiver`,
    () => (receiver.steps().some((s) => s >= step) ? Date.now() : undefined),
    timeoutMs,
    25,
  );
}

/** Sends SIGTERM and waits for the run to finish and the process to end. */
async function stopTraining(child: TrainingChild): Promise<void> {
  child.process.child.kill('SIGTERM');
  await child.process.exited;
}

describe('the OTLP receiver down at start', () => {
  it('training goes on; the rows lost are counted exactly; delivery starts within one export interval of the receiver coming up', async () => {
    const port = await freePort();
    const child = track(
      new TrainingChild({ otlp: { endpoint: `http://127.0.0.1:${port}` }, paceMs: 5 }),
    );
    await eventually('rows logged', () => (child.latestStep() > 0 ? true : undefined));
    await sleep(OUTAGE_MS);
    const receiver = track(await BridgeReceiver.start(port));
    const firstAfter = await eventually('a row logged after the receiver came up', () =>
      child.firstStepAtOrAfter(receiver.readyAt),
    );
    const arrived = await arrivalOf(receiver, firstAfter);
    expect(arrived - receiver.readyAt).toBeLessThanOrEqual(EXPORT_INTERVAL_MS);
    await sleep(2_000);
    await stopTraining(child);
    await eventually('the end of the run at the receiver', () => receiver.runEnds()[0]);

    const last = child.final('last-step');
    const received = new Set(receiver.steps());
    const missing = last + 1 - [...received].filter((s) => s <= last).length;
    const { lost, delivered } = child.logTotals();
    // Every row and the run's end (one record each) is either delivered or counted lost, and
    // nothing the receiver lacks went uncounted.
    expect(lost + delivered).toBe(last + 2);
    expect(lost).toBe(missing);
    expect(lost).toBeGreaterThan(0);
    // Every row logged once the receiver was up arrived.
    for (let step = firstAfter; step <= last; step++)
      expect(received.has(step), `step ${step}`).toBe(true);
    const reports = child.otlpReports();
    expect(reports[0]).toMatch(/^otlp: lost \d+ (log records|spans) .*connect ECONNREFUSED/);
    expect(reports.some((r) => r.startsWith('otlp: delivery resumed'))).toBe(true);
    // At most one loss warning per export interval during the outage (plus the first).
    const during = reports.filter((r) => r.startsWith('otlp: lost'));
    expect(during.length).toBeLessThanOrEqual(Math.ceil(OUTAGE_MS / EXPORT_INTERVAL_MS) + 1);
    expect(child.final('slowest-turn')).toBeLessThan(2_000);
  }, 120_000);
});

describe('the OTLP receiver killed mid-run and started again', () => {
  it('loses only what its outage cost, counts and reports it, and resumes within one export interval', async () => {
    const port = await freePort();
    const first = track(await BridgeReceiver.start(port));
    const child = track(new TrainingChild({ otlp: { endpoint: first.url }, paceMs: 5 }));
    await eventually('rows at the receiver', () => (first.steps().length > 200 ? true : undefined));
    await sleep(3_000);
    const beforeKill = child.latestStep();
    first.process.child.kill('SIGKILL');
    await first.process.exited;
    const killedAt = Date.now();
    await sleep(OUTAGE_MS);
    const second = track(await BridgeReceiver.start(port));
    const firstAfter = await eventually('a row logged after the restart', () =>
      child.firstStepAtOrAfter(second.readyAt),
    );
    const arrived = await arrivalOf(second, firstAfter);
    expect(arrived - second.readyAt).toBeLessThanOrEqual(EXPORT_INTERVAL_MS);
    await sleep(2_000);
    await stopTraining(child);
    await eventually('the end of the run at the receiver', () => second.runEnds()[0]);

    const last = child.final('last-step');
    const received = new Set([...first.steps(), ...second.steps()]);
    // Rows logged well before the kill had reached the first receiver.
    for (let step = 0; step <= beforeKill - 1000; step++)
      expect(received.has(step), `step ${step}`).toBe(true);
    for (let step = firstAfter; step <= last; step++)
      expect(received.has(step), `step ${step}`).toBe(true);
    const { lost, delivered } = child.logTotals();
    expect(lost + delivered).toBe(last + 2);
    // The export in flight at the kill failed for good: something was lost, and said so.
    expect(lost).toBeGreaterThan(0);
    const reports = child.otlpReports();
    const lossReport = reports.findIndex((r) => r.startsWith('otlp: lost'));
    expect(lossReport).toBeGreaterThanOrEqual(0);
    expect(reports.slice(lossReport).some((r) => r.startsWith('otlp: delivery resumed'))).toBe(
      true,
    );
    expect(Date.now() - killedAt).toBeGreaterThan(OUTAGE_MS);
    expect(child.final('slowest-turn')).toBeLessThan(2_000);
  }, 120_000);
});

describe('an OTLP receiver that answers only after 10 s', () => {
  it('never holds training up; finish costs one export timeout, not one per queued batch; the loss is counted', async () => {
    const port = await freePort();
    const receiver = track(await BridgeReceiver.start(port));
    const proxy = await SlowProxy.start(receiver.url, 10_000);
    cleanup.push(() => proxy.close());
    const child = track(new TrainingChild({ otlp: { endpoint: proxy.url }, paceMs: 2 }));
    await eventually('exports reaching the slow receiver', () =>
      proxy.requests.length > 2 ? true : undefined,
    );
    await sleep(15_000);
    const queued = child.latestStep();
    const stopping = Date.now();
    await stopTraining(child);
    const finishMs = Date.now() - stopping;

    // Each export waits out the exporter's 10 s timeout: sending what was queued one batch at a
    // time would take over a minute (queued / 512 batches of 10 s each).
    expect(Math.ceil(queued / 512) * 10_000).toBeGreaterThan(60_000);
    expect(finishMs).toBeLessThan(45_000);
    expect(child.final('slowest-turn')).toBeLessThan(2_000);
    expect(child.final('slowest-call')).toBeLessThan(1_000);
    const last = child.final('last-step');
    const { lost, delivered } = child.logTotals();
    expect(lost + delivered).toBe(last + 2);
    expect(lost).toBeGreaterThan(last / 2);
    expect(child.otlpReports()[0]).toMatch(/^otlp: lost \d+ log records .*timed out/);
    // The queue holds at most max_queue_size records: memory does not follow the backlog.
    expect(child.memory().maxHeap).toBeLessThan(200 * MiB);
  }, 120_000);
});

describe('memory while the receiver is away', () => {
  it('stays bounded by the queue: 400,000 wide rows logged flat out against a receiver that never answers', async () => {
    const proxy = await SlowProxy.start('http://127.0.0.1:9', 3_600_000);
    cleanup.push(() => proxy.close());
    const child = track(
      new TrainingChild({ otlp: { endpoint: proxy.url, timeout: 2 }, paceMs: 0, width: 20 }),
    );
    await eventually(
      '400,000 rows',
      () => (child.latestStep() >= 400_000 ? true : undefined),
      90_000,
      200,
    );
    await stopTraining(child);
    const memory = child.memory();
    expect(memory.samples).toBeGreaterThan(5);
    // One queued row (20 values) costs about 3 KiB: 400,000 kept would be over a GiB; the queue
    // of 16,384 is some 50 MiB.
    expect(memory.maxHeap - memory.firstHeap).toBeLessThan(250 * MiB);
    const { lost, delivered } = child.logTotals();
    expect(delivered).toBe(0);
    expect(lost).toBe(child.final('last-step') + 2);
    expect(child.otlpReports().some((r) => /dropped by a full queue/.test(r))).toBe(true);
  }, 150_000);
});
