/**
 * A short smoke of the load test (bench/scale/load-test.ts; the full measurements are
 * `npm run bench -- --only scale`): the real Collector, bridges and Prometheus, a few ranks for a
 * few seconds, every row counted. Single Collector: every rank's rows reach the bridge exactly
 * once and Prometheus has each rank's last values. Gateways: two jobs over two agents and two
 * gateways, each job's rows in one bridge, through a short gateway outage and an agent restart.
 */
import { describe, expect, it } from 'vitest';
import { type LoadTestResult, runLoadTest } from '../../bench/scale/load-test.js';

function expectEveryRowOnce(result: LoadTestResult): void {
  for (const rank of result.ranks) {
    expect(rank, `${rank.runId} rank ${rank.rank}`).toMatchObject({
      written: rank.events,
      lossReports: [],
      lastValuesExact: true,
    });
    expect(rank.bridges, `${rank.runId} rank ${rank.rank}: bridges`).toHaveLength(1);
  }
  expect(result.eventsWritten).toBe(result.eventsLogged);
  expect(result.seriesPerRank).toBe(true);
  expect(result.rejected).toBe(0);
}

describe('load test (smoke)', () => {
  it('4 ranks through the single Collector: every row once, last values per rank', async () => {
    const result = await runLoadTest({
      topology: 'single',
      jobs: 1,
      ranksPerJob: 4,
      rate: 50,
      seconds: 4,
      drainTimeoutS: 60,
    });
    expect(result.rowsLogged).toBe(4 * 50 * 4);
    expect(result.eventsLogged).toBe(2 * result.rowsLogged);
    expectEveryRowOnce(result);
    // One decorated call per row: a span each.
    expect(result.spans).toBe(result.rowsLogged);
    expect(result.usage.map((u) => u.name).sort()).toEqual(['bridge-0', 'collector']);
    for (const usage of result.usage) expect(usage.maxRssMiB).toBeGreaterThan(0);
  }, 180_000);

  it('2 jobs over 2 agents and 2 gateways: each job in one bridge, through a gateway outage and an agent restart', async () => {
    const result = await runLoadTest({
      topology: 'gateways',
      jobs: 2,
      ranksPerJob: 4,
      rate: 50,
      seconds: 8,
      outages: [
        { at: 2, kind: 'gateway', seconds: 3 },
        { at: 5, kind: 'agent' },
      ],
      drainTimeoutS: 90,
    });
    expectEveryRowOnce(result);
    const bridgeOf = (runId: string) =>
      new Set(result.ranks.filter((r) => r.runId === runId).flatMap((r) => r.bridges));
    expect(bridgeOf('scale000').size).toBe(1);
    expect(bridgeOf('scale001').size).toBe(1);
  }, 240_000);
});
