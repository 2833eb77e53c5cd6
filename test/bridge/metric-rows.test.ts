import { describe, expect, it } from 'vitest';
import { metricRows } from '../../src/bridge/metric-rows.js';
import type { OtlpMetric, ResourceItems } from '../../src/bridge/otlp-model.js';

type Scopes = ResourceItems<OtlpMetric>['scopes'];
const gauge = (name: string, points: [bigint, number, Record<string, string>?][]): OtlpMetric => ({
  kind: 'number',
  name,
  points: points.map(([timeUnixNano, value, attributes = {}]) => ({
    timeUnixNano,
    value,
    attributes,
  })),
});

describe('metricRows', () => {
  it('makes one row per collection, at the jepa.step of that collection, oldest first', () => {
    const scopes: Scopes = [
      {
        scope: { name: 'train.py' },
        items: [
          gauge('gpu/util', [
            [20n, 0.2, { device: '0' }],
            [10n, 0.1, { device: '0' }],
            [10n, 0.3, { device: '1' }],
          ]),
          gauge('jepa.step', [
            [10n, 100],
            [20n, 200],
          ]),
          gauge('tokens', [[30n, 5]]),
        ],
      },
    ];
    const { rows, latestStep } = metricRows(scopes);
    expect(rows.map(({ timeUnixNano, step, values }) => ({ timeUnixNano, step, values }))).toEqual([
      {
        timeUnixNano: 10n,
        step: 100,
        values: { 'gpu/util/device=0': 0.1, 'gpu/util/device=1': 0.3 },
      },
      { timeUnixNano: 20n, step: 200, values: { 'gpu/util/device=0': 0.2 } },
      // No jepa.step in that collection: the caller places it at the run's latest step.
      { timeUnixNano: 30n, step: undefined, values: { tokens: 5 } },
    ]);
    expect(latestStep).toBe(200);
  });

  it("reads the step from our own scope but leaves our instruments' values to their events", () => {
    const { rows, latestStep } = metricRows([
      {
        scope: { name: 'jepa-loggers' },
        items: [gauge('jepa.step', [[5n, 7]]), gauge('train/loss', [[5n, 1]])],
      },
      { scope: { name: 'host' }, items: [gauge('cpu', [[5n, 0.9]])] },
    ]);
    expect(rows.map((r) => [r.step, r.values])).toEqual([[7, { cpu: 0.9 }]]);
    expect(latestStep).toBe(7);
  });

  it('keeps explicit-bucket histograms and counts what it cannot use', () => {
    const { rows, skippedPoints } = metricRows([
      {
        scope: { name: 'train.py' },
        items: [
          {
            kind: 'histogram',
            name: 'grad',
            points: [
              {
                timeUnixNano: 1n,
                count: 4,
                sum: 2,
                min: -1,
                max: 3,
                bucketCounts: [1, 2, 1],
                explicitBounds: [0, 1],
                attributes: {},
              },
              // An empty histogram has nothing to show.
              {
                timeUnixNano: 1n,
                count: 0,
                bucketCounts: [0],
                explicitBounds: [],
                attributes: { a: 'b' },
              },
            ],
          },
          { kind: 'unsupported', name: 'latency', pointCount: 3 },
          gauge('jepa.step', [[1n, -1]]),
        ],
      },
    ]);
    expect(skippedPoints).toBe(4);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.step).toBeUndefined();
    expect(rows[0]!.values).toEqual({});
    expect(rows[0]!.histograms).toEqual([
      {
        tag: 'grad',
        histogram: {
          min: -1,
          max: 3,
          count: 4,
          sum: 2,
          sumSquares: Number.NaN,
          bucketLimits: [0, 1, 3],
          bucketCounts: [1, 2, 1],
        },
      },
    ]);
  });
});
