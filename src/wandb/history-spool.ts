/**
 * The history lines waiting for the server, on disk: an append-only JSONL file that the stream
 * reads from its cursor onwards. Rows are appended in order and sent in order, so a cursor (line
 * index and byte position) is the whole state; however long an outage lasts, memory holds only
 * the lines not yet written out: those of the current turn of the event loop (at most
 * `bufferBytes`).
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DiagnosticLogger, stderrDiagnostics } from '../diagnostics.js';
import { EndOfTurn } from './end-of-turn.js';

/** Where reading resumes: the index of the next line and its byte position in the file. */
export interface SpoolCursor {
  readonly line: number;
  readonly byte: number;
}

export class HistorySpool {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  private lines = 0;
  /** Lines a failed write dropped (a full disk): they never reach the server. */
  private dropped = 0;
  private readonly endOfTurn = new EndOfTurn(() => this.persist());

  /**
   * @param path the spool file (created, or truncated: a new run starts empty).
   * @param bufferBytes lines are written out at the end of the event loop's turn, or as soon as
   *   this many bytes wait.
   * @param diagnostics receives a failed write, once.
   */
  constructor(
    private readonly path: string,
    private readonly bufferBytes = 1 << 20,
    private readonly diagnostics: DiagnosticLogger = stderrDiagnostics(),
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w+');
  }

  /** Lines appended so far. */
  get lineCount(): number {
    return this.lines;
  }

  append(line: string): void {
    if (line.includes('\n')) throw new Error('a spooled history line cannot contain a newline');
    this.pending.push(line, '\n');
    this.pendingBytes += Buffer.byteLength(line) + 1;
    this.lines += 1;
    if (this.pendingBytes >= this.bufferBytes) this.persist();
    else this.endOfTurn.schedule();
  }

  /** Writes the lines still in memory to the file. */
  persist(): void {
    this.endOfTurn.cancel();
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''));
    const count = this.pending.length / 2;
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    try {
      while (done < bytes.length) {
        done += writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
      }
      this.written += bytes.length;
    } catch (error) {
      this.writeFailed(error, count, done);
    }
  }

  /**
   * Drops the lines of a failed write, so that the file and the line count agree (the stream's
   * offsets stay contiguous), and cuts off a torn line; reported once, counted at close.
   */
  private writeFailed(error: unknown, count: number, partial: number): void {
    this.lines -= count;
    if (this.dropped === 0) {
      this.diagnostics.error(
        `W&B: spooling history rows to ${this.path} failed: ${(error as Error).message}; rows ` +
          'that cannot be spooled are not streamed (training goes on)',
      );
    }
    this.dropped += count;
    if (partial > 0) {
      try {
        ftruncateSync(this.fd, this.written);
      } catch {
        // A torn last line is never read: the stream reads whole lines only.
      }
    }
  }

  /**
   * The whole lines from `cursor` on, reading at most `maxBytes` bytes (at least one line, however
   * long, when one is there).
   */
  read(cursor: SpoolCursor, maxBytes: number): string[] {
    this.persist();
    const available = this.written - cursor.byte;
    if (available <= 0) return [];
    let size = Math.min(available, Math.max(1, maxBytes));
    for (;;) {
      const buffer = Buffer.alloc(size);
      readSync(this.fd, buffer, 0, size, cursor.byte);
      const end = buffer.lastIndexOf(0x0a);
      if (end >= 0) return buffer.subarray(0, end).toString().split('\n');
      if (size === available) return [];
      size = Math.min(available, size * 2);
    }
  }

  /** The cursor after `lines` read from `cursor`. */
  static advance(cursor: SpoolCursor, lines: readonly string[]): SpoolCursor {
    let bytes = 0;
    for (const line of lines) bytes += Buffer.byteLength(line) + 1;
    return { line: cursor.line + lines.length, byte: cursor.byte + bytes };
  }

  close(): void {
    this.persist();
    closeSync(this.fd);
    if (this.dropped > 0) {
      this.diagnostics.warning(
        `W&B: ${this.dropped} history rows could not be spooled and were not streamed`,
      );
    }
  }
}
