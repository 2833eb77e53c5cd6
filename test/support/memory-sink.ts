/**
 * A step-aware sink that keeps every event in memory, and the backend around it: what a test
 * uses to see exactly what reached an exporter.
 */

import type {
  HistogramEvent,
  HparamsEvent,
  ImageEvent,
  MetricsEvent,
  RunEndEvent,
  TextEvent,
  TrainingEvent,
} from '../../src/events/events.js';
import type { TelemetryBackend } from '../../src/exporters/backend.js';
import { stepAwareBackend } from '../../src/exporters/step-aware-backend.js';
import type { TrainingSink } from '../../src/exporters/training-sink.js';

export class MemorySink implements TrainingSink {
  readonly events: TrainingEvent[] = [];
  flushes = 0;
  shutdowns = 0;

  get rows(): MetricsEvent[] {
    return this.events.filter((e): e is MetricsEvent => e.kind === 'metrics');
  }

  writeMetrics(event: MetricsEvent): void {
    this.events.push(event);
  }
  writeHistogram(event: HistogramEvent): void {
    this.events.push(event);
  }
  writeImage(event: ImageEvent): void {
    this.events.push(event);
  }
  writeText(event: TextEvent): void {
    this.events.push(event);
  }
  writeHparams(event: HparamsEvent): void {
    this.events.push(event);
  }
  writeRunEnd(event: RunEndEvent): void {
    this.events.push(event);
  }
  async forceFlush(): Promise<void> {
    this.flushes++;
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

export function memoryBackend(
  options: { exportIntervalMillis?: number; logFrequency?: number } = {},
): { sink: MemorySink; backend: TelemetryBackend } {
  const sink = new MemorySink();
  return { sink, backend: stepAwareBackend('memory', sink, options) };
}
