/**
 * A W&B run directory on disk: `<root>/wandb/offline-run-YYYYMMDD_HHMMSS-<id>/` (`run-...` for an
 * online run, as W&B names them) holding the `.wandb` transaction log `run-<id>.wandb` and the
 * `files/` directory (media, config.yaml, ...) that `wandb sync` uploads from. Records written in
 * one turn of the event loop reach the file together at the end of that turn (or sooner, past
 * 1 MiB): one system call per batch of rows, and nothing waits in memory longer than that.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RecordFramer, WANDB_FILE_HEADER } from './record-framing.js';
import { encodeRecord, type RecordBody } from './records.js';

export interface RunWriterOptions {
  /** The directory that holds `wandb/` (W&B's `dir`, `WANDB_DIR`). */
  readonly root: string;
  readonly runId: string;
  /** Unix ms: names the directory (local time, as W&B does). */
  readonly startTimeMs: number;
  /** `offline-run-...` (what `wandb sync` uploads by default) or `run-...`. */
  readonly offline: boolean;
}

export class RunWriter {
  /** The run directory. */
  readonly dir: string;
  /** `<dir>/files`: run files, uploaded by `wandb sync`. */
  readonly filesDir: string;
  /** The `.wandb` file. */
  readonly path: string;
  private readonly framer = new RecordFramer();
  private fd: number | undefined;
  private num = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(options: RunWriterOptions) {
    const prefix = options.offline ? 'offline-run' : 'run';
    this.dir = join(
      options.root,
      'wandb',
      `${prefix}-${localTimestamp(options.startTimeMs)}-${options.runId}`,
    );
    this.filesDir = join(this.dir, 'files');
    this.path = join(this.dir, `run-${options.runId}.wandb`);
    mkdirSync(this.filesDir, { recursive: true });
    this.fd = openSync(this.path, 'w');
    writeSync(this.fd, WANDB_FILE_HEADER);
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Appends one record, numbered after the previous one. */
  write(body: RecordBody): void {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    this.num += 1;
    const bytes = this.framer.frame(encodeRecord(this.num, body));
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = setImmediate(() => this.flush());
      this.scheduled.unref();
    }
  }

  /** Hands the records written so far to the file. */
  flush(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.fd === undefined || this.pending.length === 0) return;
    const bytes = Buffer.concat(this.pending);
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done);
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Writes `bytes` to `files/<relativePath>`; returns the absolute path. */
  writeFile(relativePath: string, bytes: Uint8Array | string): string {
    const path = join(this.filesDir, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    return path;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

const FLUSH_BYTES = 1 << 20;

/** `YYYYMMDD_HHMMSS` in local time. */
function localTimestamp(timeMs: number): string {
  const d = new Date(timeMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}_` +
    `${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`
  );
}
