/**
 * When buffered events reach the disk besides explicit flushes: every interval, on a timer that
 * never keeps the process alive. (At process exit the core calls the sink's `flushSync`.)
 */
export class FlushSchedule {
  private readonly timer: NodeJS.Timeout;

  /** `flush` must not throw. */
  constructor(flush: () => void, intervalMs: number) {
    this.timer = setInterval(flush, intervalMs);
    this.timer.unref();
  }

  /** No more timed flushes. Idempotent. */
  stop(): void {
    clearInterval(this.timer);
  }
}
