/**
 * A W&B client: what jepa-loggers' W&B backend and `jepa-loggers wandb-sync` share. Its API
 * (docs/wandb-client.md):
 *
 * - a run: `WandbRun` writes history, summary, config, files, system stats, console output and
 *   model artifacts to a run directory as W&B's own client does (`RunWriter`: the `.wandb`
 *   transaction log and `files/`), and online streams them (file_stream) to a server;
 * - values in W&B's forms: media (`histogramValue`, `mediaFile`, `imageFileValue`,
 *   `combineImages`, `textHtml`, `htmlFileValue`), system stats (`wandbSystemStats`), JSON as
 *   Python writes it (`wandbJson`, `parseWandbJson`);
 * - the server and its key: `DEFAULT_BASE_URL`, `wandbApiKey` (given, else netrc), `WandbHttp`
 *   (requests with retries, the key never in a message), `maskingOf` (a line with the key masked);
 * - local runs and sync: `findRunFiles`, `isSynced`, `markSynced`, `isOnlineRun`,
 *   `readRecordedRun`, and `syncRun`, which uploads a recorded run exactly once (resuming where
 *   the server's copy ends).
 */
export { maskingOf } from './console-capture.js';
export { type RetryEvent, WandbHttp, type WandbHttpOptions } from './http-client.js';
export { findRunFiles, isOnlineRun, isSynced, markSynced } from './local-runs.js';
export {
  combineImages,
  type Histogram,
  histogramValue,
  htmlFileValue,
  imageFileValue,
  type MediaFile,
  mediaFile,
  textHtml,
} from './media.js';
export { DEFAULT_BASE_URL, wandbApiKey } from './netrc.js';
export type { ResumeMode } from './online-run.js';
export { type ReadRun, type RecordedRun, readRecordedRun } from './recorded-run.js';
export type { WandbRunInfo } from './run-info.js';
export { type RunSyncOptions, type RunSyncResult, syncRun } from './run-sync.js';
export { RunWriter, type RunWriterOptions } from './run-writer.js';
export type { SummaryAggregate } from './summary.js';
export { wandbSystemStats } from './system-stats.js';
export { parseWandbJson, wandbJson } from './wandb-json.js';
export {
  type WandbOnlineOptions,
  WandbRun,
  type WandbRunOptions,
} from './wandb-run.js';
