/**
 * Where a run's event files go: `log_dir/<run name>`, the run name made safe as one directory
 * name, so that no name can reach outside `log_dir`.
 */
import { join, resolve } from 'node:path';

export interface RunDirectoryOptions {
  /** The root directory TensorBoard is pointed at (`--logdir`). */
  readonly logDir: string;
  /** The run's name (`run_name`, default `run-<id>`). */
  readonly runName: string;
  /** Set when every rank writes: each rank gets its own run, `<run name>-rank<rank>`. */
  readonly rank?: number;
}

/** File systems allow 255 bytes per name: room is left for the rank suffix. */
const MAX_NAME_BYTES = 200;

/**
 * The run name as one directory name: path separators, characters file systems refuse, control
 * characters and runs of dots become `_`, and so does a leading dot (a hidden directory); the
 * name is cut to 200 bytes of UTF-8 (whole characters). An empty name is `run`.
 */
export function safeRunName(name: string): string {
  const safe = name
    .trim()
    .replace(/[/\\:*?"<>|\p{Cc}]/gu, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^\./, '_');
  let cut = '';
  let bytes = 0;
  for (const character of safe) {
    bytes += Buffer.byteLength(character);
    if (bytes > MAX_NAME_BYTES) break;
    cut += character;
  }
  return cut || 'run';
}

/** The run directory: a child of `logDir`, whatever the run name. */
export function runDirectory(options: RunDirectoryOptions): string {
  const name = safeRunName(options.runName);
  // The suffix after the cut: a long name must not lose the rank that keeps ranks apart.
  const suffix = options.rank === undefined ? '' : `-rank${options.rank}`;
  return join(resolve(options.logDir), `${name}${suffix}`);
}
