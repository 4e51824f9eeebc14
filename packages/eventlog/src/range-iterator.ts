import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError, isStorageError } from '@store/backend-core';
import { recordCrc, viewOf } from './checksum.js';
import { verifiedPrefix } from './wasm-crc.js';
import { MAX_RECORD_DATA, RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE, readU32 } from './format.js';
import { READ_AHEAD_MIN_BYTES, type ReadAheadStream } from './read-ahead.js';
import type { Segment } from './segment.js';

export interface LogEvent {
  id: number;
  /** A view of the bytes read; valid as long as you keep it (it is never reused). */
  data: Uint8Array;
}

export interface RangeOptions {
  /** At the end of the log, wait for new events instead of finishing (until `end` or abort). */
  follow?: boolean;
  /** How often a following iterator looks for new events. Default 20 ms. */
  pollMs?: number;
  signal?: AbortSignal;
}

/** What the iterator needs from the log that owns it. */
export interface ReaderPort {
  segments(): readonly Segment[];
  closed(): boolean;
  readOnly(): boolean;
  readLocal(seg: Segment, buf: Buffer, at: number, length: number, position: number): number;
  readArchived(seg: Segment, start: number, length: number): Promise<Uint8Array>;
  /** Verified chunks of a local segment from `start` (a record boundary) up to `limit`, read ahead in a worker. */
  readAhead(seg: Segment, start: number, limit: number): ReadAheadStream | undefined;
  catchUp(): boolean;
}

const CHUNK = 1 << 20;
const EMPTY = Buffer.alloc(0);
const DONE: IteratorResult<LogEvent> = { done: true, value: undefined };

/**
 * Iterates records in id order across segments. Reads 1 MiB chunks and hands out views
 * into them, checking every record's checksum on the way; every next() that can be
 * answered from the current chunk is answered without I/O.
 */
export class RangeIterator implements AsyncIterableIterator<LogEvent> {
  readonly #port: ReaderPort;
  readonly #start: number;
  readonly #end: number;
  readonly #follow: boolean;
  readonly #pollMs: number;
  readonly #signal: AbortSignal | undefined;
  #seg: Segment | undefined;
  #pos = SEGMENT_HEADER_SIZE;
  #chunk: Buffer = EMPTY;
  #view = viewOf(EMPTY);
  // The chunk's ArrayBuffer and offset, read once per chunk: Buffer#buffer is a getter that
  // cost more than the view itself when read per event.
  #arrayBuffer: ArrayBuffer = EMPTY.buffer as ArrayBuffer;
  #byteOffset = 0;
  #base = SEGMENT_HEADER_SIZE;
  #have = 0;
  /** Chunk bytes [0, #verified) hold complete records whose checksums were verified. */
  #verified = 0;
  #lastId = -1;
  #done = false;
  /** Chunks of the current segment read ahead by the worker (long scans only). */
  #stream: ReadAheadStream | undefined;
  /** Chunks of the current segment read on this thread. */
  #readsHere = 0;
  /** The worker turned down a stream for this segment (another file at its path): do not ask again. */
  #refusedHere = false;
  /** Settles once every next() made so far is answered; unset when none is pending. */
  #queue: Promise<void> | undefined;
  /** next() calls not answered yet. */
  #pending = 0;
  /** An error found after takeAvailable() had collected events: thrown by the next call, after they were handed out. */
  #deferred: unknown;
  /** return() was called: waits end at once and settle quietly. */
  #returned = false;
  /** Ends the current between-polls wait (return() aborts it). */
  #sleeper: AbortController | undefined;

  constructor(port: ReaderPort, start: number, end: number, options: RangeOptions) {
    this.#port = port;
    this.#start = start;
    this.#end = end;
    this.#follow = options.follow === true;
    this.#pollMs = options.pollMs ?? 20;
    this.#signal = options.signal;
    if (port.readOnly()) port.catchUp();
    this.#seek(port.segments());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Positions at the segment holding `start` (or the first one after it). */
  #seek(segments: readonly Segment[]): void {
    let chosen: Segment | undefined;
    for (const seg of segments) {
      if (seg.firstId <= this.#start || chosen === undefined) chosen = seg;
      if (seg.firstId > this.#start) break;
    }
    if (chosen !== undefined && chosen.count > 0 && chosen.lastId < this.#start) {
      // Starts past this segment; the next one (if any) holds it.
      const i = segments.indexOf(chosen);
      if (i + 1 < segments.length) chosen = segments[i + 1];
    }
    this.#enter(chosen);
  }

  #enter(seg: Segment | undefined): void {
    this.#closeStream();
    this.#seg = seg;
    this.#readsHere = 0;
    this.#refusedHere = false;
    this.#chunk = EMPTY;
    this.#have = 0;
    this.#verified = 0;
    let pos = SEGMENT_HEADER_SIZE;
    if (seg !== undefined && seg.index.length > 0) {
      const e = seg.index.floor(this.#start);
      if (e >= 0) pos = seg.index.offsets[e]!;
    }
    this.#pos = pos;
    this.#base = pos;
  }

  next(): Promise<IteratorResult<LogEvent>> {
    if (this.#pending === 0) {
      // The usual case: nothing pending, and the answer is in the current chunk.
      try {
        const r = this.#pull();
        if (r === null) return Promise.resolve(DONE);
        if (!(r instanceof Promise)) return Promise.resolve({ done: false, value: r });
        this.#parked = r;
      } catch (error) {
        this.#finish();
        return Promise.reject(error);
      }
    }
    // I/O to wait for, or calls made before earlier ones were answered (the protocol allows
    // it): answers are worked out one after another, in call order.
    this.#pending++;
    const answer = (this.#queue ?? Promise.resolve()).then(() => this.#answer());
    this.#queue = answer.then(
      () => undefined,
      () => undefined,
    );
    return answer;
  }

  /** Pulls until there is an answer, waiting for whatever I/O a pull asks for. */
  async #answer(): Promise<IteratorResult<LogEvent>> {
    try {
      for (;;) {
        let r: LogEvent | null | Promise<void>;
        try {
          r = this.#pull();
        } catch (error) {
          this.#finish();
          throw error;
        }
        if (r === null) return DONE;
        if (!(r instanceof Promise)) return { done: false, value: r };
        await r;
      }
    } finally {
      // Cleared as the last answer is settled, not a tick later: the caller's next call must
      // find the fast path again.
      if (--this.#pending === 0) this.#queue = undefined;
    }
  }

  /**
   * Up to `max` events that can be had without waiting; an empty array means the next
   * event needs I/O that must be awaited (or the end is reached): call next() then.
   */
  takeAvailable(max: number): LogEvent[] {
    const out: LogEvent[] = [];
    try {
      while (out.length < max) {
        const r = this.#pull();
        if (r === null) break;
        if (r instanceof Promise) {
          this.#parked = r;
          break;
        }
        out.push(r);
      }
    } catch (error) {
      this.#finish();
      // Events already verified go out first; the error is thrown by the next call.
      if (out.length === 0) throw error;
      this.#deferred = error;
    }
    return out;
  }

  #parked: Promise<void> | undefined;

  /**
   * The next event, `null` at the end, or a promise to await before pulling again
   * (an archive read, or a following iterator's wait for new events).
   */
  #pull(): LogEvent | null | Promise<void> {
    if (this.#parked !== undefined) {
      const parked = this.#parked;
      this.#parked = undefined;
      return parked;
    }
    for (;;) {
      const off = this.#pos - this.#base;
      if (off < this.#verified) {
        // The hot path: a whole record whose header and checksum are already verified.
        const view = this.#view;
        const id = view.getUint32(off) * 0x1_0000_0000 + view.getUint32(off + 4);
        const size = view.getUint32(off + 8);
        if (id <= this.#lastId) throw this.#corrupt(this.#seg!, `record id ${id} out of order after ${this.#lastId}`);
        this.#lastId = id;
        this.#pos += RECORD_HEADER_SIZE + size;
        if (id < this.#start) continue;
        if (id < this.#end) return { id, data: new Uint8Array(this.#arrayBuffer, this.#byteOffset + off + RECORD_HEADER_SIZE, size) };
        this.#finish();
        return null;
      }
      // Ids only grow: once end - 1 has been passed there is nothing left to wait for.
      if (this.#done || this.#lastId >= this.#end - 1) {
        if (this.#deferred !== undefined) {
          const error = this.#deferred;
          this.#deferred = undefined;
          throw error;
        }
        this.#finish();
        return null;
      }
      const seg = this.#seg;
      if (seg === undefined) {
        const segs = this.#port.segments();
        if (segs.length > 0) {
          this.#seek(segs);
          continue;
        }
        return this.#atEnd();
      }
      const avail = this.#have - off;
      if (avail >= RECORD_HEADER_SIZE) {
        const view = this.#view;
        const size = view.getUint32(off + 8);
        const total = RECORD_HEADER_SIZE + size;
        if (avail >= total) {
          // A record the chunk's verification pass stopped at: check it alone, then take the hot path.
          if (size > MAX_RECORD_DATA || view.getUint32(off) > 0x1f_ffff || recordCrc(this.#chunk, off, size) !== view.getUint32(off + 12)) {
            throw this.#corrupt(seg, 'record header or checksum mismatch');
          }
          this.#verified = off + total;
          continue;
        }
      }
      if (this.#port.closed()) throw new StorageError('ECLOSED', 'event log is closed');
      if (this.#pos < seg.size) {
        const pending = this.#fill(seg);
        if (pending !== undefined) return pending;
        continue;
      }
      // This segment is exhausted as far as anyone knows.
      if (seg.damage !== undefined) {
        throw new StorageError('ECORRUPT', `segment is damaged: ${seg.damage.reason}`, { path: seg.fileName, offset: seg.damage.offset });
      }
      const segs = this.#port.segments();
      const i = segs.indexOf(seg);
      const next = i >= 0 ? segs[i + 1] : segs.find((s) => s.number > seg.number);
      if (next !== undefined) {
        if (!seg.sealed && this.#port.readOnly() && this.#port.catchUp()) continue;
        this.#enter(next);
        continue;
      }
      if (this.#port.readOnly() && this.#port.catchUp()) continue;
      return this.#atEnd();
    }
  }

  /** At the current end of the log: finish, or (following) wait and look again. */
  #atEnd(): Promise<void> | null {
    if (!this.#follow) {
      this.#finish();
      return null;
    }
    const sleeper = new AbortController();
    this.#sleeper = sleeper;
    const signal = this.#signal === undefined ? sleeper.signal : AbortSignal.any([this.#signal, sleeper.signal]);
    return sleep(this.#pollMs, undefined, { signal }).then(
      () => {
        this.#sleeper = undefined;
        if (this.#port.readOnly() && !this.#done) this.#port.catchUp();
      },
      (error: unknown) => {
        this.#sleeper = undefined;
        // Ended by return(): settle quietly (the next pull finds the iterator done).
        if (this.#returned) return;
        this.#finish();
        throw error;
      },
    );
  }

  /** Reads the next chunk of `seg`, keeping the partial record at the end of the current one. */
  #fill(seg: Segment): Promise<void> | undefined {
    const off = this.#pos - this.#base;
    const keep = Math.max(0, this.#have - off);
    if (this.#stream === undefined && seg.local && this.#readsHere > 0 && !this.#refusedHere) this.#startReadAhead(seg);
    if (this.#stream !== undefined) {
      // Stream chunks hold whole records from #pos on, the partial record we hold included.
      const next = this.#stream.take(this.#pos);
      if (next instanceof Promise) return next;
      if (next !== null) {
        this.#install(next.bytes, next.bytes.length, next.bytes.length);
        return undefined;
      }
      // The stream stopped (at its limit, a bad record or an error): read from here ourselves.
      if (this.#stream.delivered === 0) this.#refusedHere = true;
      this.#closeStream();
    }
    const remaining = seg.size - this.#pos;
    const recordLength = keep >= 12 ? RECORD_HEADER_SIZE + readU32(this.#chunk, off + 8) : 0;
    if (recordLength > remaining) throw this.#corrupt(seg, 'record runs past the end of the segment');
    const length = Math.min(remaining, Math.max(CHUNK, recordLength));
    const chunk = Buffer.allocUnsafe(length);
    if (keep > 0) this.#chunk.copy(chunk, 0, off, off + keep);
    const want = length - keep;
    const position = this.#pos + keep;
    if (seg.local) {
      let n: number;
      try {
        n = this.#port.readLocal(seg, chunk, keep, want, position);
      } catch (error) {
        if (!this.#port.readOnly() || !isStorageError(error, 'ENOENT')) throw error;
        return this.#segmentTakenAway(seg, error);
      }
      if (n < want) throw new StorageError('ECORRUPT', `segment is shorter than expected (${position + n} < ${seg.size})`, { path: seg.fileName, offset: position + n });
      this.#install(chunk, keep + n);
      this.#readsHere++;
      return undefined;
    }
    return this.#port.readArchived(seg, position, want).then(
      (bytes) => {
        if (this.#returned) return;
        chunk.set(bytes, keep);
        this.#install(chunk, keep + bytes.length);
      },
      (error: unknown) => {
        // After return() nobody may be waiting for this read: settle quietly.
        if (!this.#returned) throw error;
      },
    );
  }

  /**
   * A reader's segment file vanished before it was opened: a writer's deleteRange or
   * archive() took it away after this reader last looked (they update meta.json first,
   * then remove the file). Look again: an archived segment is read from the archive, a
   * deleted one is passed (its events are gone for every reader, as for a fresh one).
   * A file gone without meta.json saying why stays an error.
   */
  #segmentTakenAway(seg: Segment, error: StorageError): undefined {
    this.#port.catchUp();
    if (!seg.local) return undefined; // archived: the next pull reads it from there
    const segs = this.#port.segments();
    if (segs.includes(seg)) throw error;
    const next = segs.find((s) => s.number > seg.number);
    if (next === undefined) throw error;
    this.#enter(next);
    return undefined;
  }

  /**
   * Hands the rest of the scan in this segment to the read-ahead worker, if it is long: only
   * once a first chunk here was used up (short and abandoned scans never start a stream),
   * and only as far as the block that holds `end`.
   */
  #startReadAhead(seg: Segment): void {
    let limit = seg.size;
    if (this.#end <= seg.lastId) {
      const e = seg.index.floor(this.#end);
      if (e >= 0 && e + 1 < seg.index.length) limit = seg.index.offsets[e + 1]!;
    }
    if (limit - this.#pos >= READ_AHEAD_MIN_BYTES) this.#stream = this.#port.readAhead(seg, this.#pos, limit);
  }

  #closeStream(): void {
    this.#stream?.close();
    this.#stream = undefined;
  }

  #install(chunk: Buffer, have: number, verified?: number): void {
    this.#chunk = chunk;
    this.#view = viewOf(chunk);
    this.#arrayBuffer = chunk.buffer as ArrayBuffer;
    this.#byteOffset = chunk.byteOffset;
    this.#base = this.#pos;
    this.#have = have;
    this.#verified = verified ?? verifiedPrefix(chunk, 0, have, MAX_RECORD_DATA);
  }

  #corrupt(seg: Segment, reason: string): StorageError {
    return new StorageError('ECORRUPT', reason, { path: seg.fileName, offset: this.#pos });
  }

  #finish(): void {
    if (this.#returned) this.#sleeper?.abort();
    this.#closeStream();
    this.#done = true;
    this.#chunk = EMPTY;
    this.#verified = 0;
  }

  /** Ends the iteration; a next() still waiting (a follower between polls) resolves as done. */
  return(): Promise<IteratorResult<LogEvent>> {
    this.#returned = true;
    this.#deferred = undefined;
    this.#finish();
    this.#sleeper?.abort();
    this.#parked = undefined;
    return Promise.resolve(DONE);
  }
}

/**
 * Batches of a range iterator: what can be had without waiting, or one awaited event.
 * Calls are answered one after another; `return()` ends a pending wait at once.
 */
export class BatchIterator implements AsyncIterableIterator<LogEvent[]> {
  readonly #it: RangeIterator;
  readonly #max: number;
  #queue: Promise<unknown> = Promise.resolve();
  #returned = false;

  constructor(it: RangeIterator, max: number) {
    this.#it = it;
    this.#max = max;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<LogEvent[]>> {
    const answer = this.#queue.then(() => this.#next());
    this.#queue = answer.catch(() => undefined);
    return answer;
  }

  async #next(): Promise<IteratorResult<LogEvent[]>> {
    if (this.#returned) return DONE_BATCH;
    try {
      const batch = this.#it.takeAvailable(this.#max);
      if (batch.length > 0) return { done: false, value: batch };
      const r = await this.#it.next();
      if (r.done === true) return DONE_BATCH;
      return { done: false, value: [r.value] };
    } catch (error) {
      await this.#it.return();
      throw error;
    }
  }

  async return(): Promise<IteratorResult<LogEvent[]>> {
    this.#returned = true;
    await this.#it.return();
    return DONE_BATCH;
  }
}

const DONE_BATCH: IteratorResult<LogEvent[]> = { done: true, value: undefined };
