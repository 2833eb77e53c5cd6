import { type LogRecord, SeverityNumber } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { EventRecord, type RecordOrigin, Severity } from '../../src/events/events.js';

const origin: RecordOrigin = {
  get resource(): Resource {
    throw new Error('read only when an exporter asks');
  },
  instrumentationScope: { name: 'jepa-loggers' },
};

/** What the SDK's own Logger makes of `record`. */
function sdkRecord(record: LogRecord): ReadableLogRecord {
  let made: ReadableLogRecord | undefined;
  const provider = new LoggerProvider({
    processors: [
      {
        onEmit: (r) => {
          made = r;
        },
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  provider.getLogger('jepa-loggers').emit(record);
  return made!;
}

describe('EventRecord: a training event as the SDK records it, without the SDK', () => {
  it("spells out the logs API's severity numbers", () => {
    for (const [name, value] of Object.entries(Severity)) {
      expect(value, name).toBe(SeverityNumber[name as keyof typeof Severity]);
    }
  });

  it('has the fields, times and attributes the SDK gives the same record', () => {
    const record: LogRecord = {
      eventName: 'jepa.text',
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'hello',
      timestamp: new Date(1_700_000_000_123),
      attributes: { tag: 'notes', step: 3, gone: undefined, nothing: null, nested: { a: [1, 2] } },
    };
    const ours = new EventRecord(origin, record, undefined);
    const sdk = sdkRecord(record);
    for (const field of [
      'eventName',
      'severityNumber',
      'severityText',
      'body',
      'hrTime',
      'attributes',
      'droppedAttributesCount',
      'spanContext',
    ] as const) {
      expect(ours[field], field).toEqual(sdk[field]);
    }
    expect(ours.instrumentationScope).toEqual({ name: 'jepa-loggers' });
  });

  it('reads a number below half the process start as performance.now(), others as epoch ms', () => {
    const relative = new EventRecord(origin, { timestamp: 1500 }, undefined);
    const expected = performance.timeOrigin + 1500;
    expect(relative.hrTime[0] * 1e3 + relative.hrTime[1] / 1e6).toBeCloseTo(expected, 3);
    const epoch = new EventRecord(origin, { timestamp: 1_700_000_000_000.5 }, undefined);
    expect(epoch.hrTime).toEqual([1_700_000_000, 500_000]);
  });
});
