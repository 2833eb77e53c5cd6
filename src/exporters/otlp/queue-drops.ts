/**
 * The batch processors' drops, seen through the SDK's own self-observability: a batch processor
 * given a `selfObsMeterProvider` adds every item it is done with to
 * `otel.sdk.processor.{log,span}.processed`, those its full queue dropped with
 * `error.type = queue_full`. The meter provider here hears only those additions; every other
 * instrument it hands out is the API's no-op.
 */
import type { Attributes, Counter, Meter, MeterProvider } from '@opentelemetry/api';
import { otelApi } from '../../otel-api.js';

/** The semantic conventions' names (experimental in the SDK, stable in meaning). */
const PROCESSED_SUFFIX = '.processed';
const ERROR_TYPE = 'error.type';
const QUEUE_FULL = 'queue_full';

/** A meter provider for a processor's `selfObsMeterProvider` that calls `onDrop` per drop. */
export function queueDropObserver(onDrop: (count: number) => void): MeterProvider {
  const noop = otelApi().createNoopMeter();
  const drops: Counter = {
    add(value: number, attributes?: Attributes) {
      if (attributes?.[ERROR_TYPE] === QUEUE_FULL) onDrop(value);
    },
  };
  const meter: Meter = Object.create(noop, {
    createCounter: {
      value: (name: string, options?: Parameters<Meter['createCounter']>[1]) =>
        name.endsWith(PROCESSED_SUFFIX) ? drops : noop.createCounter(name, options),
    },
  });
  return { getMeter: () => meter };
}
