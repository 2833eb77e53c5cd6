/**
 * The ring an AsyncLogger's calling thread writes rows into and its worker reads them from: one
 * `SharedArrayBuffer`, a single writer and a single reader, no lock. A row of numbers is a
 * compact record (its keys as ids, interned once per key by a definition record before their
 * first row, then the step and the values as 64-bit floats), so a call copies a few dozen bytes
 * and allocates nothing; everything else (media, text, hyperparameters, a row holding something
 * other than numbers) goes by `postMessage`, and the ring carries a marker where it belongs, so
 * the reader sees every call in the order it was made.
 *
 * Layout: a control block of Int32 counters, then the data region, a power of two in bytes.
 * Records start on 8-byte boundaries and are a multiple of 8 long; one that does not fit before
 * the end of the region is preceded by a pad record filling it. The byte and row counters only
 * grow (wrapping at 2^32, which the power-of-two region divides), so `written - read` is what is
 * buffered; at most `rowLimit` calls are buffered whatever their size.
 *
 * Waking: the reader sleeps on `doorbell` (`Atomics.waitAsync`, so its event loop keeps
 * turning) after raising `readerSleeping`; the writer rings only when that flag is up (and,
 * while the reader polls, only once a batch is buffered: see `Sleep`). A writer
 * that finds the ring full raises `writerWaiting` and sleeps on `read` (`Atomics.wait`, bounded
 * by its caller); the reader notifies `read` when that flag is up. Sequentially consistent
 * atomics on both sides make a lost wake-up impossible: each side publishes its flag before it
 * looks at the other's counter.
 */

/** The Int32 slots of the control block. */
export const Control = {
  /** Bytes written (the writer's). */
  written: 0,
  /** Bytes read (the reader's). */
  read: 1,
  /** Calls written (the writer's). */
  rowsWritten: 2,
  /** Calls read and handed to the backends (the reader's). */
  rowsRead: 3,
  /** Bumped to wake the reader. */
  doorbell: 4,
  /** 1 while the reader sleeps on the doorbell. */
  readerSleeping: 5,
  /** 1 while the writer waits for room. */
  writerWaiting: 6,
  /** Calls the backends took (the reader's). */
  delivered: 7,
  /** Calls a backend threw on or rejected (the reader's). */
  failed: 8,
  /** `rowsRead` when the backends' latest flush began, once it has completed (the reader's). */
  flushedRows: 9,
  /** Synchronous flushes asked for (the writer's; at process exit). */
  syncRequested: 10,
  /** Synchronous flushes done (the reader's). */
  syncDone: 11,
  /** The exit code a synchronous flush ends the run with (-1: it does not end it). */
  syncExitCode: 12,
  /** The latest message sequence number the reader has consumed. */
  messagesRead: 13,
  /** 1 once the reader has stopped for good (its thread is ending); writers stop waiting. */
  readerGone: 14,
} as const;
const CONTROL_SLOTS = 16;
const CONTROL_BYTES = CONTROL_SLOTS * 4;

/**
 * What a sleeping reader asks of the writer (`readerSleeping`): a reader that polls every few
 * milliseconds (calls keep coming) is woken only for a batch, so that a row a millisecond does
 * not cost a thread wake-up each; an idle one (no calls for a while) at the first call.
 */
export const Sleep = { Awake: 0, Polling: 1, Idle: 2 } as const;

/** What a record is. */
export const RecordOp = {
  /** Filler up to the end of the region. */
  Pad: 0,
  /** Defines a key id: `id`, then the key's UTF-8 bytes. */
  DefineKey: 1,
  /** `logMetrics(row, step)` of numbers. */
  Metrics: 2,
  /** `logAtCurrentStep(row)` of numbers. */
  AtCurrentStep: 3,
  /** A call that went by message: its sequence number. */
  Message: 4,
} as const;
export type RecordOp = (typeof RecordOp)[keyof typeof RecordOp];

/** Bytes a call takes on average, for sizing the region from `buffer_size`: a 10-key row is 136. */
const BYTES_PER_CALL = 256;
const HEADER_BYTES = 16;
/** Key ids live in 24 bits of a header word: past that many keys, rows go by message. */
const MAX_KEYS = 1 << 24;

/** The shared memory of one ring, as it crosses to the worker. */
export interface RingMemory {
  readonly buffer: SharedArrayBuffer;
  /** The most calls buffered at once. */
  readonly rowLimit: number;
}

/** A ring's memory for `rowLimit` calls. */
export function allocateRing(rowLimit: number): RingMemory {
  let capacity = 1 << 12;
  while (capacity < rowLimit * BYTES_PER_CALL && capacity < 1 << 30) capacity *= 2;
  return { buffer: new SharedArrayBuffer(CONTROL_BYTES + capacity), rowLimit };
}

class RingViews {
  readonly control: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly bytes: Uint8Array;
  readonly capacity: number;
  readonly mask: number;

  constructor(memory: RingMemory) {
    const { buffer } = memory;
    this.control = new Int32Array(buffer, 0, CONTROL_SLOTS);
    this.capacity = buffer.byteLength - CONTROL_BYTES;
    this.mask = this.capacity - 1;
    this.u32 = new Uint32Array(buffer, CONTROL_BYTES, this.capacity / 4);
    this.f64 = new Float64Array(buffer, CONTROL_BYTES, this.capacity / 8);
    this.bytes = new Uint8Array(buffer, CONTROL_BYTES, this.capacity);
  }
}

/** What `RingWriter.writeRow` did. */
export const WriteResult = {
  Written: 0,
  /** No room: the reader has not read enough yet. */
  Full: 1,
  /** Not a row of numbers (or too many keys): send it as a message. */
  NotNumbers: 2,
} as const;
export type WriteResult = (typeof WriteResult)[keyof typeof WriteResult];

const encoder = new TextEncoder();

/** The calling thread's side. */
export class RingWriter {
  private readonly v: RingViews;
  private readonly rowLimit: number;
  /** Calls buffered that wake a polling reader (a sixteenth of the ring). */
  private readonly wakeAt: number;
  /** Key -> id, and the keys by id (a fresh reader is given them). */
  private readonly ids = new Map<string, number>();
  readonly keys: string[] = [];
  private written: number;
  private rowsWritten: number;
  /** The reader's counters as last seen: reloaded only when they say the ring is full. */
  private readSeen: number;
  private rowsReadSeen: number;
  // Scratch for one row's ids and values, so that a call allocates nothing.
  private rowIds = new Uint32Array(64);
  /** The keys of the latest row, by position (the ids in `rowIds` are theirs). */
  private readonly rowKeys: (string | undefined)[] = [];
  private rowValues = new Float64Array(64);

  constructor(memory: RingMemory) {
    this.v = new RingViews(memory);
    this.rowLimit = memory.rowLimit;
    this.wakeAt = Math.max(1, memory.rowLimit >> 4);
    const c = this.v.control;
    this.written = Atomics.load(c, Control.written);
    this.rowsWritten = Atomics.load(c, Control.rowsWritten);
    this.readSeen = Atomics.load(c, Control.read);
    this.rowsReadSeen = Atomics.load(c, Control.rowsRead);
  }

  /** Calls written and not yet read. */
  get buffered(): number {
    return (this.rowsWritten - Atomics.load(this.v.control, Control.rowsRead)) | 0;
  }

  /** Calls written in all. */
  get rowsWrittenCount(): number {
    return this.rowsWritten >>> 0;
  }

  /** Writes a `Metrics` or `AtCurrentStep` row of numbers at `step` (NaN: none). */
  writeRow(op: RecordOp, row: Readonly<Record<string, unknown>>, step: number): WriteResult {
    let n = 0;
    for (const key in row) {
      const value = row[key];
      if (typeof value !== 'number') return WriteResult.NotNumbers;
      // Rows of a loop have the same keys in the same order: the previous row's id at this
      // position is the one, found without hashing the key.
      if (this.rowKeys[n] !== key) {
        let id = this.ids.get(key);
        if (id === undefined) {
          id = this.define(key);
          if (id < 0) return id === -1 ? WriteResult.Full : WriteResult.NotNumbers;
        }
        if (n === this.rowIds.length) this.growScratch();
        this.rowIds[n] = id;
        this.rowKeys[n] = key;
      }
      this.rowValues[n] = value;
      n++;
    }
    const size = HEADER_BYTES + 4 * (n + (n & 1)) + 8 * n;
    const at = this.reserve(size, true);
    if (at < 0) return WriteResult.Full;
    const { u32, f64 } = this.v;
    u32[at >> 2] = size;
    u32[(at >> 2) + 1] = op | (n << 8);
    f64[(at >> 3) + 1] = step;
    const idsAt = (at + HEADER_BYTES) >> 2;
    for (let k = 0; k < n; k++) u32[idsAt + k] = this.rowIds[k]!;
    const valuesAt = (at + HEADER_BYTES + 4 * (n + (n & 1))) >> 3;
    for (let k = 0; k < n; k++) f64[valuesAt + k] = this.rowValues[k]!;
    this.publish(size, 1);
    return WriteResult.Written;
  }

  /** Writes the marker of message `seq` (a call sent by message); false when full. */
  writeMessageMarker(seq: number): boolean {
    const at = this.reserve(HEADER_BYTES, true);
    if (at < 0) return false;
    this.v.u32[at >> 2] = HEADER_BYTES;
    this.v.u32[(at >> 2) + 1] = RecordOp.Message;
    this.v.u32[(at >> 2) + 2] = seq >>> 0;
    this.publish(HEADER_BYTES, 1);
    return true;
  }

  /** Whether a call would fit now (re-reading the reader's counters). */
  hasRoom(size = 512): boolean {
    this.refreshRead();
    return this.fits(size, true);
  }

  /** The reader's `read` counter now: what a writer waiting for room waits on. */
  readCounter(): number {
    return Atomics.load(this.v.control, Control.read);
  }

  /** The control block (for waits and requests). */
  get control(): Int32Array {
    return this.v.control;
  }

  private define(key: string): number {
    if (this.keys.length >= MAX_KEYS) return -2;
    const utf8 = encoder.encode(key);
    const size = align8(12 + utf8.length);
    if (size > this.v.capacity / 4) return -2;
    const at = this.reserve(size, false);
    if (at < 0) return -1;
    const id = this.keys.length;
    this.v.u32[at >> 2] = size;
    this.v.u32[(at >> 2) + 1] = RecordOp.DefineKey | (utf8.length << 8);
    this.v.u32[(at >> 2) + 2] = id;
    this.v.bytes.set(utf8, at + 12);
    this.ids.set(key, id);
    this.keys.push(key);
    this.publish(size, 0);
    return id;
  }

  /** Where a record of `size` bytes goes (writing a pad first when it must wrap); -1: no room. */
  private reserve(size: number, isCall: boolean): number {
    if (!this.fits(size, isCall)) {
      this.refreshRead();
      if (!this.fits(size, isCall)) return -1;
    }
    const at = this.written & this.v.mask;
    const tail = this.v.capacity - at;
    if (size <= tail) return at;
    this.v.u32[at >> 2] = tail;
    this.v.u32[(at >> 2) + 1] = RecordOp.Pad;
    this.publish(tail, 0);
    return 0;
  }

  private fits(size: number, isCall: boolean): boolean {
    if (isCall && this.unreadRows() >= this.rowLimit) return false;
    const at = this.written & this.v.mask;
    const tail = this.v.capacity - at;
    const needed = size <= tail ? size : tail + size;
    return this.v.capacity - ((this.written - this.readSeen) | 0) >= needed;
  }

  /** Rows written that the reader had not read when last looked at. */
  private unreadRows(): number {
    return (this.rowsWritten - this.rowsReadSeen) | 0;
  }

  private refreshRead(): void {
    this.readSeen = Atomics.load(this.v.control, Control.read);
    this.rowsReadSeen = Atomics.load(this.v.control, Control.rowsRead);
  }

  private publish(bytes: number, calls: number): void {
    const c = this.v.control;
    this.written = (this.written + bytes) | 0;
    Atomics.store(c, Control.written, this.written);
    if (calls > 0) {
      this.rowsWritten = (this.rowsWritten + calls) | 0;
      Atomics.store(c, Control.rowsWritten, this.rowsWritten);
    }
    // A reader polling every few milliseconds is woken only for a batch; an idle one at once.
    const sleeping = Atomics.load(c, Control.readerSleeping);
    if (sleeping === Sleep.Idle) this.ring();
    else if (sleeping === Sleep.Polling && this.unreadRows() >= this.wakeAt) {
      // The count the writer last saw may be old: a ring (a system call) only for a real batch.
      this.refreshRead();
      if (this.unreadRows() >= this.wakeAt) this.ring();
    }
  }

  /** Wakes the reader now (a call by message, a request). */
  ring(): void {
    Atomics.add(this.v.control, Control.doorbell, 1);
    Atomics.notify(this.v.control, Control.doorbell);
  }

  private growScratch(): void {
    const ids = new Uint32Array(this.rowIds.length * 2);
    ids.set(this.rowIds);
    this.rowIds = ids;
    const values = new Float64Array(this.rowValues.length * 2);
    values.set(this.rowValues);
    this.rowValues = values;
  }
}

/** One record as the reader sees it. */
export type RingRecord =
  | {
      readonly op: typeof RecordOp.Metrics | typeof RecordOp.AtCurrentStep;
      row: Record<string, number>;
      step: number | undefined;
    }
  | { readonly op: typeof RecordOp.Message; seq: number };

const decoder = new TextDecoder();

/** The worker's side. */
export class RingReader {
  private readonly v: RingViews;
  private read: number;
  private rowsRead: number;
  private readonly rowLimit: number;
  /** Keys by id. */
  private readonly keys: string[];

  /** @param keys Keys defined before this reader started (a fresh worker after a death). */
  constructor(memory: RingMemory, keys: readonly string[] = []) {
    this.v = new RingViews(memory);
    this.rowLimit = memory.rowLimit;
    this.keys = [...keys];
    this.read = Atomics.load(this.v.control, Control.read);
    this.rowsRead = Atomics.load(this.v.control, Control.rowsRead);
  }

  get control(): Int32Array {
    return this.v.control;
  }

  /** Whether a record is waiting. */
  get pending(): boolean {
    return Atomics.load(this.v.control, Control.written) !== this.read;
  }

  /** The position after the latest record written now: `drainedTo` compares against it. */
  writtenNow(): number {
    return Atomics.load(this.v.control, Control.written);
  }

  /** Whether everything written up to `mark` (a `writtenNow()`) has been read. */
  drainedTo(mark: number): boolean {
    return ((mark - this.read) | 0) <= 0;
  }

  /**
   * The next call, without consuming it (definitions and pads are consumed on the way); undefined
   * when none is written. `consume()` it once handled.
   */
  peek(): RingRecord | undefined {
    const c = this.v.control;
    const { u32, f64 } = this.v;
    for (;;) {
      if (Atomics.load(c, Control.written) === this.read) return undefined;
      const at = this.read & this.v.mask;
      const size = u32[at >> 2]!;
      const word = u32[(at >> 2) + 1]!;
      const op = (word & 0xff) as RecordOp;
      if (op === RecordOp.Pad) {
        this.advance(size, 0);
        continue;
      }
      if (op === RecordOp.DefineKey) {
        const length = word >>> 8;
        const id = u32[(at >> 2) + 2]!;
        this.keys[id] = decoder.decode(this.v.bytes.slice(at + 12, at + 12 + length));
        this.advance(size, 0);
        continue;
      }
      if (op === RecordOp.Message) return { op, seq: u32[(at >> 2) + 2]! | 0 };
      const n = word >>> 8;
      const stepValue = f64[(at >> 3) + 1]!;
      const idsAt = (at + HEADER_BYTES) >> 2;
      const valuesAt = (at + HEADER_BYTES + 4 * (n + (n & 1))) >> 3;
      const row: Record<string, number> = {};
      for (let k = 0; k < n; k++) row[this.keys[u32[idsAt + k]!]!] = f64[valuesAt + k]!;
      return {
        op: op as typeof RecordOp.Metrics,
        row,
        step: Number.isNaN(stepValue) ? undefined : stepValue,
      };
    }
  }

  /** Consumes the call `peek()` returned: its room goes back to the writer. */
  consume(): void {
    const size = this.v.u32[(this.read & this.v.mask) >> 2]!;
    this.advance(size, 1);
  }

  private advance(bytes: number, calls: number): void {
    const c = this.v.control;
    this.read = (this.read + bytes) | 0;
    Atomics.store(c, Control.read, this.read);
    if (calls > 0) {
      this.rowsRead = (this.rowsRead + calls) | 0;
      Atomics.store(c, Control.rowsRead, this.rowsRead);
    }
    // A waiting writer is woken once half the ring is free, not for every call read: waking a
    // thread costs more than writing many calls.
    if (Atomics.load(c, Control.writerWaiting) !== 0 && this.halfFree()) this.wakeWriter();
  }

  /** Wakes a writer waiting for room (also when less than half is free: the reader stops). */
  wakeWriter(): void {
    Atomics.notify(this.v.control, Control.read);
  }

  private halfFree(): boolean {
    const c = this.v.control;
    const rows = (Atomics.load(c, Control.rowsWritten) - this.rowsRead) | 0;
    const bytes = (Atomics.load(c, Control.written) - this.read) | 0;
    return rows <= this.rowLimit >> 1 && bytes <= this.v.capacity >> 1;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
