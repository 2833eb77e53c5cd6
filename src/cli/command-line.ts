/** What every `jepa-loggers` command does before its own work: its streams, --help and usage errors. */
import type { Environment } from '../environment.js';

/** Where a command writes: stdout and stderr, or anything with `write` in tests. */
export interface Output {
  write(text: string): unknown;
}

/** What a command reads and writes; each defaults to the process's own. */
export interface CommandIo {
  readonly out?: Output;
  readonly err?: Output;
  /** Where environment variables are read. Default `process.env`. */
  readonly env?: Environment;
}

/** A command's parsed arguments and the streams it writes to. */
export interface CommandLine<Values> {
  readonly values: Values;
  readonly positionals: readonly string[];
  readonly out: Output;
  readonly err: Output;
  readonly env: Environment;
}

/**
 * Parses a command's arguments with `parse` (`node:util` `parseArgs`). Returns the exit code when
 * the command ends here: 0 after printing `usage` for `--help`; 2 after printing the problem and
 * `usage` for an argument `parse` rejects or positionals `checkPositionals` names a problem with.
 */
export function parseCommandLine<Values extends { readonly help?: boolean }>(
  command: string,
  usage: string,
  io: CommandIo,
  parse: () => { values: Values; positionals: string[] },
  checkPositionals: (positionals: readonly string[]) => string | undefined,
): CommandLine<Values> | number {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const env = io.env ?? process.env;
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parse();
  } catch (error) {
    err.write(`${command}: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.write(usage);
    return 0;
  }
  const problem = checkPositionals(positionals);
  if (problem) {
    err.write(`${command}: ${problem}\n\n${usage}`);
    return 2;
  }
  return { values, positionals, out, err, env };
}
