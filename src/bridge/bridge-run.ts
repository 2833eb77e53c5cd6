/**
 * One run's process as the bridge sees it: the backends built for it, on a log pipeline of their
 * own, fed the records and metric rows that arrive for its resource. The records go through the
 * same `TelemetryPipeline` as in the training process, so every backend gets training events
 * losslessly and in order, exactly as if the run had logged to it directly.
 */

import type { AttributeValue, HrTime } from '@opentelemetry/api';
import type { AnyValue, LogAttributes, Logger } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { DiagnosticLogger } from '../diagnostics.js';
import {
  Attr,
  decodeTrainingEvent,
  EventName,
  eventNameOf,
  histogramRecord,
  isTrainingEventName,
} from '../events/events.js';
import type { RunIdentity } from '../events/run-identity.js';
import type { TelemetryBackend } from '../exporters/backend.js';
import { TelemetryPipeline } from '../telemetry/pipeline.js';
import type { MetricRows } from './metric-rows.js';
import type { Attributes, OtlpLogRecord, OtlpScope, ResourceItems } from './otlp-model.js';

/** What became of one request's data: for the OTLP response and the bridge's counters. */
export interface Tally {
  /** Records refused (OTLP partial success), and the first reason. */
  rejected: number;
  reason?: string;
  /** Training events handed to the backends, by name. */
  readonly events: Record<string, number>;
}

export function newTally(): Tally {
  return { rejected: 0, events: {} };
}

export interface BridgeRunOptions {
  readonly identity: RunIdentity;
  /** The resource as the producer sent it: the backends' records carry it. */
  readonly resource: Attributes;
  readonly backends: readonly TelemetryBackend[];
  readonly diagnostics: DiagnosticLogger;
}

export class BridgeRun {
  readonly identity: RunIdentity;
  /** `Date.now()` of the latest request for this run. */
  lastActivity = Date.now();
  /** True once the run's `jepa.run.end` event has arrived. */
  ended = false;
  private latestStep = 0;
  private readonly pipeline: TelemetryPipeline;
  private readonly loggers = new Map<string, Logger>();
  private closing: Promise<void> | undefined;

  constructor(options: BridgeRunOptions) {
    this.identity = options.identity;
    this.pipeline = new TelemetryPipeline({
      resource: () => resourceFromAttributes(resourceAttributesOf(options.resource)),
      backends: options.backends,
      diagnostics: options.diagnostics,
    });
  }

  /** Hands log records to the backends; training events that do not decode are rejected. */
  writeLogs(scopes: ResourceItems<OtlpLogRecord>['scopes'], tally: Tally): void {
    this.lastActivity = Date.now();
    for (const { scope, items } of scopes) {
      const logger = this.loggerFor(scope);
      for (const record of items) {
        const eventName = eventNameOf(record);
        const time = record.timeUnixNano || record.observedTimeUnixNano;
        const timestamp = time ? hrTimeOf(time) : undefined;
        if (eventName !== undefined && isTrainingEventName(eventName)) {
          const event = decodeTrainingEvent({
            eventName,
            hrTime: timestamp ?? [0, 0],
            body: record.body,
            attributes: record.attributes,
          });
          if (!event) {
            tally.rejected++;
            tally.reason ??= `a '${eventName}' record lacks or mistypes its attributes (see docs/events.md)`;
            continue;
          }
          if (event.kind === 'metrics') this.latestStep = event.step;
          if (event.kind === 'runEnd') this.ended = true;
          count(tally, eventName);
        }
        logger.emit({
          eventName,
          timestamp,
          observedTimestamp: record.observedTimeUnixNano
            ? hrTimeOf(record.observedTimeUnixNano)
            : undefined,
          severityNumber: record.severityNumber,
          severityText: record.severityText,
          body: record.body,
          attributes: record.attributes as LogAttributes,
        });
      }
    }
  }

  /** Hands metric rows (see metric-rows.ts) to the backends. */
  writeRows({ rows, latestStep }: MetricRows, tally: Tally): void {
    this.lastActivity = Date.now();
    const logger = this.loggerFor({ name: 'jepa-loggers-bridge' });
    for (const row of rows) {
      const step = row.step ?? this.latestStep;
      const timestamp = hrTimeOf(row.timeUnixNano);
      if (Object.keys(row.values).length > 0) {
        logger.emit({
          eventName: EventName.metrics,
          timestamp,
          attributes: { ...row.values, [Attr.step]: step },
        });
        count(tally, EventName.metrics);
      }
      for (const { tag, histogram } of row.histograms) {
        logger.emit({ ...histogramRecord(step, tag, histogram), timestamp });
        count(tally, EventName.histogram);
      }
      this.latestStep = step;
    }
    this.noteStep(latestStep);
  }

  /** Where rows without a step of their own go: the step a producer's `jepa.step` gauge last had. */
  noteStep(step: number | undefined): void {
    if (step !== undefined) this.latestStep = step;
  }

  /** Flushes every backend without closing the run. */
  flush(): Promise<void> {
    return this.pipeline.forceFlush();
  }

  /** Flushes and closes the run's backends. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.pipeline.shutdown();
    return this.closing;
  }

  private loggerFor(scope: OtlpScope): Logger {
    const key = `${scope.name}\u0000${scope.version ?? ''}`;
    let logger = this.loggers.get(key);
    if (!logger) {
      logger = this.pipeline.loggerProvider.getLogger(scope.name || 'unknown', scope.version);
      this.loggers.set(key, logger);
    }
    return logger;
  }
}

function count(tally: Tally, eventName: string): void {
  tally.events[eventName] = (tally.events[eventName] ?? 0) + 1;
}

function hrTimeOf(unixNano: bigint): HrTime {
  return [Number(unixNano / 1_000_000_000n), Number(unixNano % 1_000_000_000n)];
}

/** Resource attributes must be primitives or arrays of one primitive type; maps and bytes go. */
function resourceAttributesOf(attributes: Attributes): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (isPrimitive(value)) out[key] = value;
    else if (Array.isArray(value) && value.every(isPrimitive)) out[key] = value as AttributeValue;
  }
  return out;
}

function isPrimitive(value: AnyValue): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
