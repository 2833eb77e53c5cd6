/**
 * A W&B client: what jepa-loggers' W&B backend and `jepa-loggers wandb-sync` share, and nothing
 * they do not. The API (docs/api/wandb-client.md):
 *
 * - the server and its key: `DEFAULT_BASE_URL`, `wandbApiKey` (given, else netrc), `WandbHttp`
 *   (requests with retries, the key never in a message);
 * - local runs (the `.wandb` transaction log W&B's own SDK writes): `findRunFiles`, `isSynced`,
 *   `markSynced`, `isOnlineRun`, `readRecordedRun`;
 * - sync: `syncRun` uploads a recorded run exactly once (resuming where the server's copy ends).
 */

export { type RetryEvent, WandbHttp, type WandbHttpOptions } from './http-client.js';
export { findRunFiles, isOnlineRun, isSynced, markSynced } from './local-runs.js';
export { DEFAULT_BASE_URL, wandbApiKey } from './netrc.js';
export { type ReadRun, type RecordedRun, readRecordedRun } from './recorded-run.js';
export { type RunSyncOptions, type RunSyncResult, syncRun } from './run-sync.js';
