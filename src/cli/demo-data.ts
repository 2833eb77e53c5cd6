/**
 * The demo's dataset: two interleaving half circles ("two moons"), a classic task a linear model
 * cannot solve and a small network learns in seconds. Made here, seeded, so every run is the same.
 */

export interface Dataset {
  /** Points, row-major: x0, y0, x1, y1, ... */
  readonly features: Float32Array;
  /** Class of each point: 0 (upper moon) or 1 (lower moon). */
  readonly labels: Int32Array;
  readonly size: number;
}

export interface TwoMoonsOptions {
  readonly samples: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. */
  readonly noise: number;
  readonly seed: number;
}

/** `samples` points, half on each moon, centred on the origin, in shuffled order. */
export function twoMoons(options: TwoMoonsOptions): Dataset {
  const random = seededRandom(options.seed);
  const gaussian = () =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) * options.noise;
  const size = options.samples;
  const features = new Float32Array(size * 2);
  const labels = new Int32Array(size);
  const order = shuffled(size, random);
  for (let i = 0; i < size; i++) {
    const label = i % 2;
    const angle = Math.PI * random();
    const [x, y] =
      label === 0
        ? [Math.cos(angle), Math.sin(angle)]
        : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
    const at = order[i]!;
    features[2 * at] = x - 0.5 + gaussian();
    features[2 * at + 1] = y - 0.25 + gaussian();
    labels[at] = label;
  }
  return { features, labels, size };
}

/** The first `count` points and the rest. */
export function split(data: Dataset, count: number): [Dataset, Dataset] {
  const part = (from: number, to: number): Dataset => ({
    features: data.features.subarray(2 * from, 2 * to),
    labels: data.labels.subarray(from, to),
    size: to - from,
  });
  return [part(0, count), part(count, data.size)];
}

/** Batches of `batchSize` indices covering `size` points in an order that depends on `seed`. */
export function batchIndices(size: number, batchSize: number, seed: number): Int32Array[] {
  const order = shuffled(size, seededRandom(seed));
  const batches: Int32Array[] = [];
  for (let from = 0; from < size; from += batchSize) {
    batches.push(Int32Array.from(order.subarray(from, Math.min(size, from + batchSize))));
  }
  return batches;
}

/** A permutation of 0..size-1 (Fisher-Yates). */
function shuffled(size: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
