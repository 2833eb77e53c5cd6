import type { TrainingSink } from './training-sink.js';

/**
 * Shuts a sink down once every exporter writing to it has shut down. A sink has two writers, its
 * event exporter and its metric exporter, which OTel shuts down from different providers, in
 * parallel: the sink must outlive the later one (the final metric collection), whichever it is.
 */
export class SinkLifetime {
  private closed: Promise<void> | undefined;

  constructor(
    private readonly sink: TrainingSink,
    private holders: number,
  ) {}

  /** One writer is done; resolves when the sink is shut down. */
  release(): Promise<void> {
    this.holders--;
    if (this.holders <= 0) this.closed ??= this.sink.shutdown();
    return this.closed ?? Promise.resolve();
  }
}
