import { escapeControls } from '../diagnostics.js';

/** One problem in a configuration, located as precisely as its source allows. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `tensorboard.log_dir`. */
  readonly path: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  /** A key the user probably meant. */
  readonly suggestion?: string;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.file ? `${problem.file}${problem.line ? `:${problem.line}` : ''}: ` : '';
  const hint = problem.suggestion ? ` (did you mean '${problem.suggestion}'?)` : '';
  // One problem, one line: a key of the configuration may hold a newline or an escape code.
  return escapeControls(
    `${where}${problem.path ? `${problem.path}: ` : ''}${problem.message}${hint}`,
  );
}

/**
 * A configuration that cannot be used; lists every problem found, not only the first, and the
 * warnings found with them (so `validate-config` can print those too).
 */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly warnings: readonly ConfigProblem[] = [],
  ) {
    super(
      problems.length === 1
        ? `Invalid logging configuration: ${formatProblem(problems[0]!)}`
        : `Invalid logging configuration (${problems.length} problems):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}
