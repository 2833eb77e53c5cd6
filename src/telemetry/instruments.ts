/**
 * Metric key -> OTel instrument. Keys keep the user's spelling everywhere else (TensorBoard, W&B);
 * here they become instrument names (OTel allows `/`), and the Prometheus names they will get
 * through the Collector are checked for collisions before two keys silently merge into one series.
 */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import type { OnceWarner } from '../diagnostics.js';
import { RESERVED_KEY_PREFIX } from '../events/events.js';

export type InstrumentKind = 'gauge' | 'counter' | 'histogram';

/**
 * The meters a run's instruments live on: its own (when one of its backends exports them) and
 * the application's (given, or found when its SDK starts, possibly after the run did). An
 * instrument made through `each` exists on every meter, present and future.
 */
export class RunMeters {
  private readonly meters: Meter[] = [];
  private readonly binders: ((meter: Meter) => void)[] = [];

  get empty(): boolean {
    return this.meters.length === 0;
  }

  add(meter: Meter): void {
    this.meters.push(meter);
    for (const bind of this.binders) bind(meter);
  }

  /** Calls `bind` with every meter now, and with each meter added later. */
  each(bind: (meter: Meter) => void): void {
    this.binders.push(bind);
    for (const meter of this.meters) bind(meter);
  }
}

/** Records one value of an accepted key on its instruments, on every meter of the run. */
export type RecordValue = (value: number) => void;

const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_./-]{0,254}$/;
const NOTHING: RecordValue = () => {};
const MAX_UNTOLD = 20;

export interface MetricKeyTableOptions {
  readonly meters: RunMeters;
  /** Instrument kind per key; keys not listed get a gauge. */
  readonly kinds?: Readonly<Record<string, InstrumentKind>>;
  /** Distinct keys that get an instrument; more keys still reach the step-aware backends. */
  readonly maxInstruments?: number;
  readonly warner: OnceWarner;
}

export class MetricKeyTable {
  private readonly slots = new Map<string, RecordValue | null>();
  private readonly prometheusOwners = new Map<string, string>();
  private instrumentCount = 0;
  /** Refusals told when the first meter comes: without one, no instrument is missed. */
  private untold: [id: string, message: string][] | undefined = [];

  constructor(private readonly options: MetricKeyTableOptions) {
    options.meters.each(() => {
      for (const [id, message] of this.untold ?? []) options.warner.warn(id, message);
      this.untold = undefined;
    });
  }

  /** How to record `key`, or `null` when the key is rejected (the warning is given once). */
  slot(key: string): RecordValue | null {
    const known = this.slots.get(key);
    if (known !== undefined) return known;
    const slot = this.admit(key);
    this.slots.set(key, slot);
    return slot;
  }

  private admit(key: string): RecordValue | null {
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
    const refuse = (id: string, message: string): RecordValue => {
      if (!this.untold) warner.warn(id, message);
      else if (this.untold.length < MAX_UNTOLD) this.untold.push([id, message]);
      return NOTHING;
    };
    const prometheusName = prometheusNameOf(key);
    const owner = this.prometheusOwners.get(prometheusName);
    if (owner !== undefined) {
      return refuse(
        `collision:${key}`,
        `logMetrics: keys '${owner}' and '${key}' both become the Prometheus metric ` +
          `'${prometheusName}'; '${key}' is kept in TensorBoard, W&B and the console but gets no ` +
          'OTel instrument. Rename one of them.',
      );
    }
    const maxInstruments = this.options.maxInstruments ?? 10_000;
    if (this.instrumentCount >= maxInstruments) {
      return refuse(
        'instruments:full',
        `logMetrics: more than ${maxInstruments} distinct metric keys; ` +
          `'${key}' and later new keys get no OTel instrument (they still reach the other backends)`,
      );
    }
    this.prometheusOwners.set(prometheusName, key);
    this.instrumentCount++;
    return this.createInstrument(key);
  }

  private createInstrument(key: string): RecordValue {
    const { meters } = this.options;
    const name = instrumentNameOf(key);
    const description = name === key ? undefined : `metric key '${key}'`;
    switch (this.options.kinds?.[key] ?? 'gauge') {
      case 'counter': {
        const counters: Counter[] = [];
        meters.each((meter) => counters.push(meter.createCounter(name, { description })));
        return (value) => {
          for (const counter of counters) counter.add(value);
        };
      }
      case 'histogram': {
        const histograms: Histogram[] = [];
        meters.each((meter) => histograms.push(meter.createHistogram(name, { description })));
        return (value) => {
          for (const histogram of histograms) histogram.record(value);
        };
      }
      default:
        return latestValueGauge(meters, name, description);
    }
  }
}

/**
 * A gauge of the latest value recorded, observed at each collection. A gauge exports only its
 * latest value per collection, so observing the latest value then exports what a synchronous
 * gauge would (the value, at the collection's time), while a row costs one variable write
 * instead of a trip through the SDK's aggregation per key, however many meters read it.
 */
export function latestValueGauge(
  meters: RunMeters,
  name: string,
  description?: string,
): RecordValue {
  let latest: number | undefined;
  meters.each((meter) =>
    meter.createObservableGauge(name, { description }).addCallback((result) => {
      if (latest !== undefined) result.observe(latest);
    }),
  );
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
