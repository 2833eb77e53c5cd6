/**
 * One event file, the I/O layer: opens `events.out.tfevents.<secs>.<host>.<pid>.<counter>` in a
 * run directory, keeps framed records in memory and writes them on `flush`. Writes are
 * synchronous so a flush at process exit completes and a crash loses at most what was not
 * flushed; they are whole buffers, not one system call per record. Nothing here throws: failures
 * go to the diagnostics (the first failure, and at close what was dropped), and the file stays
 * readable: a failed write keeps the whole records that reached the disk, a torn one is cut off,
 * and the rest are dropped rather than kept to grow memory.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { DiagnosticLogger } from '../../diagnostics.js';
import { makeDirectory } from '../../make-directory.js';
import { fileVersionEvent } from './event-encoder.js';
import { frameRecordInto, RECORD_DATA_OFFSET, RECORD_OVERHEAD, sealRecord } from './record.js';

export interface EventFileWriterOptions {
  /** The run directory; created when missing. */
  readonly dir: string;
  readonly diagnostics: DiagnosticLogger;
  /**
   * Most bytes kept between flushes: a record that would go past it flushes the others first,
   * so that large media cannot pile up in memory between timed flushes. Default 8 MiB.
   */
  readonly maxBufferBytes?: number;
}

const INITIAL_BUFFER = 64 * 1024;
/** Writers created by this process: the last part of the file name. */
let fileCounter = 0;
/** Run directories with an open writer in this process, to warn about a second one. */
const openDirectories = new Set<string>();

/** `events.out.tfevents.<10-digit unix seconds>.<host>.<pid>.<counter>`, TensorBoard's pattern. */
export function eventFileName(timeMs: number, host: string, pid: number, counter: number): string {
  const seconds = String(Math.floor(timeMs / 1000)).padStart(10, '0');
  return `events.out.tfevents.${seconds}.${host}.${pid}.${counter}`;
}

export class EventFileWriter {
  /** The file's path (decided at construction, even if it could not be created). */
  readonly path: string;
  private readonly dir: string;
  private readonly diagnostics: DiagnosticLogger;
  private readonly maxBufferBytes: number;
  private buffer: Uint8Array;
  private buffered = 0;
  private fd: number | undefined;
  /** Bytes of whole records in the file. */
  private written = 0;
  /** Bytes of events that failed writes dropped. */
  private droppedBytes = 0;
  private closed = false;

  constructor(options: EventFileWriterOptions) {
    this.dir = resolve(options.dir);
    this.diagnostics = options.diagnostics;
    this.maxBufferBytes = options.maxBufferBytes ?? 8 * 1024 * 1024;
    this.buffer = new Uint8Array(INITIAL_BUFFER);
    const now = Date.now();
    this.path = this.open(now);
    this.write(fileVersionEvent(now));
    this.flush();
  }

  /** Buffers one serialized `Event`. */
  write(event: Uint8Array): void {
    if (this.closed) return;
    this.reserve(event.byteLength);
    this.buffered = frameRecordInto(event, this.buffer, this.buffered);
  }

  /**
   * Buffers one record of `length` bytes that `fill` writes straight into the buffer, at
   * `offset` of `out` (no intermediate array).
   */
  append(length: number, fill: (out: Uint8Array, offset: number) => void): void {
    if (this.closed) return;
    this.reserve(length);
    fill(this.buffer, this.buffered + RECORD_DATA_OFFSET);
    this.buffered = sealRecord(this.buffer, this.buffered, length);
  }

  /** Writes the buffered records to the file. */
  flush(): void {
    if (this.buffered === 0) return;
    if (this.fd === undefined) {
      // The file could not be created (reported then): nothing can be kept.
      this.buffered = 0;
      return;
    }
    let done = 0;
    try {
      while (done < this.buffered) {
        done += writeSync(this.fd, this.buffer, done, this.buffered - done, this.written + done);
      }
      this.written += done;
      this.buffered = 0;
      // A record larger than the limit must not hold its memory for the rest of the run.
      if (this.buffer.byteLength > this.maxBufferBytes)
        this.buffer = new Uint8Array(INITIAL_BUFFER);
    } catch (error) {
      this.writeFailed(error, done);
    }
  }

  /** Flushes and closes the file. Idempotent; later writes are ignored. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    openDirectories.delete(this.dir);
    if (this.droppedBytes > 0) {
      this.diagnostics.warning(
        `TensorBoard: ${this.droppedBytes} bytes of events are missing from ${this.path} ` +
          'because writes failed',
      );
    }
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch (error) {
      this.diagnostics.warning(`TensorBoard: closing ${this.path} failed: ${message(error)}`);
    }
    this.fd = undefined;
  }

  /** Creates the file; a name already taken (another process, same second) takes the next counter. */
  private open(timeMs: number): string {
    if (openDirectories.has(this.dir)) {
      this.diagnostics.warning(
        `TensorBoard: two writers in ${this.dir}; TensorBoard follows only the newest file of a ` +
          'run directory, so give each run its own name',
      );
    }
    openDirectories.add(this.dir);
    let path = join(this.dir, eventFileName(timeMs, hostname(), process.pid, fileCounter++));
    try {
      makeDirectory(this.dir);
      for (;;) {
        try {
          this.fd = openSync(path, 'wx');
          return path;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          path = join(this.dir, eventFileName(timeMs, hostname(), process.pid, fileCounter++));
        }
      }
    } catch (error) {
      this.diagnostics.error(
        `TensorBoard: cannot create ${path}: ${message(error)}; this run writes no events`,
      );
      return path;
    }
  }

  private writeFailed(error: unknown, partial: number): void {
    if (this.droppedBytes === 0) {
      // Once: a full disk fails every flush after it (the total is reported at close).
      this.diagnostics.error(
        `TensorBoard: writing events to ${this.path} failed: ${message(error)}; events that ` +
          'cannot be written are dropped (training goes on)',
      );
    }
    const kept = wholeRecords(this.buffer, partial);
    this.droppedBytes += this.buffered - kept;
    this.buffered = 0;
    if (partial > kept && this.fd !== undefined) {
      // A torn record in the middle of a file would hide everything after it from TensorBoard.
      try {
        ftruncateSync(this.fd, this.written + kept);
      } catch {
        // Nothing more to do: TensorBoard reads up to the torn record.
      }
    }
    this.written += kept;
  }

  /** Makes room for a record of `length` bytes of data, flushing first past the limit. */
  private reserve(length: number): void {
    const size = length + RECORD_OVERHEAD;
    if (this.buffered > 0 && this.buffered + size > this.maxBufferBytes) this.flush();
    const needed = this.buffered + size;
    if (needed <= this.buffer.byteLength) return;
    let capacity = this.buffer.byteLength * 2;
    while (capacity < needed) capacity *= 2;
    const bigger = new Uint8Array(capacity);
    bigger.set(this.buffer.subarray(0, this.buffered));
    this.buffer = bigger;
  }
}

/** The bytes of the whole records among the first `length` bytes of `buffer`. */
function wholeRecords(buffer: Uint8Array, length: number): number {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let end = 0;
  while (end + RECORD_OVERHEAD <= length) {
    const size =
      view.getUint32(end, true) + view.getUint32(end + 4, true) * 0x1_0000_0000 + RECORD_OVERHEAD;
    if (end + size > length) break;
    end += size;
  }
  return end;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
