/**
 * Lines of the files W&B streams beside the history, as wandb-core writes them: what our online
 * run streams, and what `jepa-loggers wandb-sync` makes of the `.wandb` file's stats and
 * `output_raw` records (as `wandb sync` does).
 */
import type { OutputStream } from './console-capture.js';
import { PREFIX } from './system-stats.js';

/**
 * A `wandb-events.jsonl` line: each stat under `system.<key>` (values as JSON text, as stats
 * records hold them), `_wandb`, and the sample's time as `_timestamp` and `_runtime` (seconds).
 */
export function eventsLine(
  stats: Iterable<readonly [key: string, valueJson: string]>,
  timeMs: number,
  startTimeMs: number,
): string {
  const fields = [...stats].map(([key, json]) => `${JSON.stringify(PREFIX + key)}:${json}`);
  fields.push(
    '"_wandb":true',
    `"_timestamp":${timeMs / 1000}`,
    `"_runtime":${(timeMs - startTimeMs) / 1000}`,
  );
  return `{${fields.join(',')}}`;
}

/** An `output.log` line: the UTC time in microseconds (`2026-05-01T12:00:00.123000`), `ERROR ` first for stderr. */
export function outputLine(stream: OutputStream, line: string, timeMs: number): string {
  const time = new Date(timeMs).toISOString().replace('Z', '000');
  return `${stream === 'stderr' ? 'ERROR ' : ''}${time} ${line}`;
}
