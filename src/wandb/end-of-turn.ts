/**
 * Work put off to the end of the event loop's current turn, so that the rows a loop writes in one
 * turn reach the disk in one write. Its timer does not keep the process alive.
 */
export class EndOfTurn {
  private due: NodeJS.Immediate | undefined;

  constructor(private readonly work: () => void) {}

  /** Runs the work at the end of this turn, unless that is already arranged. */
  schedule(): void {
    if (this.due) return;
    this.due = setImmediate(this.work);
    this.due.unref();
  }

  /** The work is being done now: the arranged run is not needed. */
  cancel(): void {
    clearImmediate(this.due);
    this.due = undefined;
  }
}
