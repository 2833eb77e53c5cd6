import type { TrainingSink } from './training-sink.js';

/**
 * Shuts a sink down once every exporter writing to it has shut down. A sink usually has two
 * writers, its event exporter and its metric exporter, which OTel shuts down from different
 * providers, in parallel: the sink must outlive the later one (the final metric collection),
 * whichever it is.
 */
export class SinkLifetime {
  private holders = 0;
  private closed: Promise<void> | undefined;

  constructor(private readonly sink: TrainingSink) {}

  /** One more writer; the function it returns says that writer is done (once). */
  hold(): () => Promise<void> {
    this.holders++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.holders--;
      }
      if (this.holders <= 0) this.closed ??= this.sink.shutdown();
      return this.closed ?? Promise.resolve();
    };
  }
}
