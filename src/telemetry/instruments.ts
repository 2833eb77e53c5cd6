/**
 * Metric key -> OTel instrument. Keys keep the user's spelling everywhere else (TensorBoard, W&B);
 * here they become instrument names (OTel allows `/`), and the Prometheus names they will get
 * through the Collector are checked for collisions before two keys silently merge into one series.
 */
import type { Meter } from '@opentelemetry/api';
import type { OnceWarner } from '../diagnostics.js';
import { RESERVED_KEY_PREFIX } from './events.js';

export type InstrumentKind = 'gauge' | 'counter' | 'histogram';

/** What the table decided for one key: accepted (with an instrument when metrics are exported). */
export interface KeySlot {
  /** Records one value; undefined when no instrument is kept for the key. */
  readonly record: ((value: number) => void) | undefined;
}

const NO_INSTRUMENT: KeySlot = Object.freeze({ record: undefined });
const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_./-]{0,254}$/;

export interface MetricKeyTableOptions {
  /** Where instruments are created; undefined when nobody exports the run's instruments. */
  readonly meter: Meter | undefined;
  /** Instrument kind per key; keys not listed get a gauge. */
  readonly kinds?: Readonly<Record<string, InstrumentKind>>;
  /** Distinct keys that get an instrument; more keys still reach the step-aware backends. */
  readonly maxInstruments?: number;
  readonly warner: OnceWarner;
}

export class MetricKeyTable {
  private readonly slots = new Map<string, KeySlot | null>();
  private readonly prometheusOwners = new Map<string, string>();
  private instrumentCount = 0;

  constructor(private readonly options: MetricKeyTableOptions) {}

  /** The slot of `key`, or `null` when the key is rejected (the warning is given once). */
  slot(key: string): KeySlot | null {
    const known = this.slots.get(key);
    if (known !== undefined) return known;
    const slot = this.admit(key);
    this.slots.set(key, slot);
    return slot;
  }

  private admit(key: string): KeySlot | null {
    const { warner } = this.options;
    if (key.length === 0) {
      warner.warn('key:empty', 'logMetrics: an empty metric key was dropped');
      return null;
    }
    if (key === '__proto__') {
      // Assigning it to an object sets the prototype: every backend would lose it silently.
      warner.warn(
        'key:__proto__',
        "logMetrics: key '__proto__' was dropped: JavaScript objects cannot hold it as a key",
      );
      return null;
    }
    if (key.startsWith(RESERVED_KEY_PREFIX)) {
      warner.warn(
        `key:${key}`,
        `logMetrics: key '${key}' was dropped: keys beginning with '${RESERVED_KEY_PREFIX}' are reserved`,
      );
      return null;
    }
    const { meter } = this.options;
    if (!meter) return NO_INSTRUMENT;
    const prometheusName = prometheusNameOf(key);
    const owner = this.prometheusOwners.get(prometheusName);
    if (owner !== undefined) {
      warner.warn(
        `collision:${key}`,
        `logMetrics: keys '${owner}' and '${key}' both become the Prometheus metric ` +
          `'${prometheusName}'; '${key}' is kept in TensorBoard, W&B and the console but gets no ` +
          'OTel instrument. Rename one of them.',
      );
      return NO_INSTRUMENT;
    }
    if (this.instrumentCount >= (this.options.maxInstruments ?? 10_000)) {
      warner.warn(
        'instruments:full',
        `logMetrics: more than ${this.options.maxInstruments ?? 10_000} distinct metric keys; ` +
          `'${key}' and later new keys get no OTel instrument (they still reach the other backends)`,
      );
      return NO_INSTRUMENT;
    }
    this.prometheusOwners.set(prometheusName, key);
    this.instrumentCount++;
    return { record: this.createInstrument(meter, key) };
  }

  private createInstrument(meter: Meter, key: string): (value: number) => void {
    const name = instrumentNameOf(key);
    const description = name === key ? undefined : `metric key '${key}'`;
    switch (this.options.kinds?.[key] ?? 'gauge') {
      case 'counter': {
        const counter = meter.createCounter(name, { description });
        return (value) => counter.add(value);
      }
      case 'histogram': {
        const histogram = meter.createHistogram(name, { description });
        return (value) => histogram.record(value);
      }
      default:
        return latestValueGauge(meter, name, description);
    }
  }
}

/**
 * A gauge of the latest value recorded, observed at each collection. A gauge exports only its
 * latest value per collection, so observing the latest value then exports what a synchronous
 * gauge would (the value, at the collection's time), while a row costs one variable write
 * instead of a trip through the SDK's aggregation per key.
 */
export function latestValueGauge(
  meter: Meter,
  name: string,
  description?: string,
): (value: number) => void {
  let latest: number | undefined;
  meter.createObservableGauge(name, { description }).addCallback((result) => {
    if (latest !== undefined) result.observe(latest);
  });
  return (value) => {
    latest = value;
  };
}

/** A valid OTel instrument name for `key`: the key itself when it is one. */
export function instrumentNameOf(key: string): string {
  if (INSTRUMENT_NAME.test(key)) return key;
  let name = key.replace(/[^A-Za-z0-9_./-]/g, '_');
  if (!/^[A-Za-z]/.test(name)) name = `metric_${name}`;
  return name.slice(0, 255);
}

/**
 * The Prometheus name the Collector's translation gives a gauge: runs of characters outside
 * `[A-Za-z0-9]` become one `_`, leading and trailing ones go.
 */
export function prometheusNameOf(key: string): string {
  const name = instrumentNameOf(key)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .join('_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}
