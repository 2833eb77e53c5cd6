/**
 * A W&B run directory on disk: `<root>/wandb/offline-run-YYYYMMDD_HHMMSS-<id>/` (`run-...` for an
 * online run, as W&B names them) holding the `.wandb` transaction log `run-<id>.wandb` and the
 * `files/` directory (media, config.yaml, ...) that `wandb sync` uploads from. Records written in
 * one turn of the event loop reach the file together at the end of that turn (or sooner, past
 * 1 MiB): one system call per batch of rows, and nothing waits in memory longer than that.
 * A write that fails (a full disk) is reported once and cut back to the last whole record, so
 * the file stays readable; nothing more is written to it, and nothing is thrown.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DiagnosticLogger, stderrDiagnostics } from '../diagnostics.js';
import { makeDirectory } from '../make-directory.js';
import { EndOfTurn } from './end-of-turn.js';
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
  /** Receives a failed write of the `.wandb` file. Default stderr. */
  readonly diagnostics?: DiagnosticLogger;
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
  /** Framed records not yet in the file: the first `pendingBytes` bytes. */
  private pending = Buffer.allocUnsafe(INITIAL_BUFFER);
  private pendingBytes = 0;
  private readonly endOfTurn = new EndOfTurn(() => this.flush());
  /** Bytes in the file: whole records only. */
  private written = WANDB_FILE_HEADER.length;
  /** Records in the file. */
  private writtenNum = 0;
  /** A write failed: the file ends at `written` for good. */
  private failed = false;
  private readonly diagnostics: DiagnosticLogger;

  constructor(options: RunWriterOptions) {
    this.diagnostics = options.diagnostics ?? stderrDiagnostics();
    this.dir = claimRunDirectory(options);
    this.filesDir = join(this.dir, 'files');
    this.path = join(this.dir, `run-${options.runId}.wandb`);
    makeDirectory(this.filesDir);
    this.fd = openSync(this.path, 'w');
    writeSync(this.fd, WANDB_FILE_HEADER);
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Appends one record, numbered after the previous one. */
  write(body: RecordBody): void {
    this.writeEncoded((num) => encodeRecord(num, body));
  }

  /**
   * Appends one record that `encode` makes for its number (a record encoded by hand, see
   * `HistoryEncoder`); the bytes it returns are copied at once.
   */
  writeEncoded(encode: (num: number) => Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    this.num += 1;
    if (this.failed) return;
    const payload = encode(this.num);
    const needed = this.pendingBytes + RecordFramer.maxFramedLength(payload.length);
    if (needed > this.pending.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.pending.length * 2));
      this.pending.copy(bigger, 0, 0, this.pendingBytes);
      this.pending = bigger;
    }
    this.pendingBytes = this.framer.frameInto(payload, this.pending, this.pendingBytes);
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else this.endOfTurn.schedule();
  }

  /** Hands the records written so far to the file. */
  flush(): void {
    this.endOfTurn.cancel();
    if (this.fd === undefined || this.pendingBytes === 0) return;
    let done = 0;
    try {
      while (done < this.pendingBytes) {
        done += writeSync(
          this.fd,
          this.pending,
          done,
          this.pendingBytes - done,
          this.written + done,
        );
      }
      this.written += done;
      this.writtenNum = this.num;
    } catch (error) {
      this.writeFailed(error, done);
    }
    this.pendingBytes = 0;
    // A large record (media) must not hold its memory for the rest of the run.
    if (this.pending.length > FLUSH_BYTES * 2) this.pending = Buffer.allocUnsafe(INITIAL_BUFFER);
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
    if (this.failed) {
      this.diagnostics.warning(
        `W&B: ${this.num - this.writtenNum} of ${this.num} records are missing from ${this.path} ` +
          'after its write failed',
      );
    }
  }

  private writeFailed(error: unknown, partial: number): void {
    this.failed = true;
    if (partial > 0) {
      try {
        // A torn record at the end would make the reader stop with an error.
        ftruncateSync(this.fd!, this.written);
      } catch {
        // The reader stops at the torn record: still readable up to there.
      }
    }
    this.diagnostics.error(
      `W&B: writing ${this.path} failed: ${(error as Error).message}; it keeps the ` +
        `${this.writtenNum} records written before and takes no more (training goes on)`,
    );
  }
}

const FLUSH_BYTES = 1 << 20;
const INITIAL_BUFFER = 64 * 1024;

/**
 * Creates the run directory, `<root>/wandb/<prefix>-<start time>-<id>`, and no other process's:
 * two processes that start the same run id in the same second would write one file, so the
 * second takes the next second's name.
 */
function claimRunDirectory(options: RunWriterOptions): string {
  const prefix = options.offline ? 'offline-run' : 'run';
  const parent = join(options.root, 'wandb');
  makeDirectory(parent);
  for (let second = 0; ; second++) {
    const time = localTimestamp(options.startTimeMs + second * 1000);
    const dir = join(parent, `${prefix}-${time}-${options.runId}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** `YYYYMMDD_HHMMSS` in local time. */
function localTimestamp(timeMs: number): string {
  const d = new Date(timeMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}_` +
    `${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`
  );
}
