/** What every suite gets, and what it gives back. */
import type { Places } from '../loggers.js';
import type { Peers } from '../peers.js';
import type { Figure } from '../report.js';

export interface SuiteContext {
  readonly places: Places;
  readonly peers: Peers;
  /** Fewer rows and repeats: a sanity run, not figures to publish. */
  readonly quick: boolean;
  /** Repeated runs per figure (after a warm-up). */
  readonly repeats: number;
  /** The venv's python, for the Python peers. */
  readonly python: string;
  /** Progress lines (stderr). */
  readonly log: (line: string) => void;
}

export interface SuiteResult {
  readonly figures: readonly Figure[];
  /** Warnings the loggers gave while measured (drops, failures): printed with the table. */
  readonly warnings: readonly string[];
  /** Anything else worth keeping in the JSON results. */
  readonly details?: Readonly<Record<string, unknown>>;
}
