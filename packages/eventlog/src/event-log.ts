import { constants as fsConstants, closeSync, fdatasyncSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  FileLock,
  FilesystemBackend,
  StorageError,
  TEMP_PREFIX,
  isOwnerAlive,
  type LockOwner,
  capabilitiesOf,
  crc32c,
  fromNodeError,
  isStorageError,
  type StorageBackend,
} from '@store/backend-core';
import { Appender } from './appender.js';
import { BlockCache, blockOf, type Block } from './block-cache.js';
import { recordCrc } from './checksum.js';
import {
  DEFAULT_BLOCK_CACHE_SIZE,
  DEFAULT_INDEX_INTERVAL,
  DEFAULT_MAX_FILE_SIZE,
  DEFAULT_WRITE_BUFFER_SIZE,
  LOCK_FILE,
  META_FILE,
  MAX_ID,
  MAX_RECORD_DATA,
  MAX_SEGMENT_SIZE,
  RECORD_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  checkId,
  parseSegmentFileName,
  segmentFileName,
} from './format.js';
import { emptyMeta, parseMeta, readMeta, writeMeta, type Meta, type MetaTrust, type SegmentRecord } from './meta.js';
import { flushOnExit } from './exit-flush.js';
import { REPAIR_TEMP_SUFFIX } from './repair.js';
import { ReadAheadStream } from './read-ahead.js';
import { SealPipeline } from './seal-pipeline.js';
import { BatchIterator, RangeIterator, type LogEvent, type RangeOptions, type ReaderPort } from './range-iterator.js';
import { inspectRecord, recordId } from './record.js';
import { applyIndex, loadSegments, type RecoveryReport } from './recovery.js';
import { repairSegment, type RepairProblem } from './repair.js';
import { encodeSegmentHeader } from './segment-header.js';
import { Segment, openSegmentFile, readFully, scanSegment, type ArchiveLocation } from './segment.js';
import { SparseIndex } from './sparse-index.js';
import { scratchCrc, type WasmCrc } from './wasm-crc.js';

export type Durability = 'none' | 'batch' | 'always';

export interface EventLogOptions {
  /** A segment is sealed and a new one started before it would exceed this. Default 512 MiB. */
  maxFileSize?: number;
  /** Bytes of records collected before one write to the file. Default 64 KiB. */
  writeBufferSize?: number;
  /**
   * When an append's promise resolves:
   * - `'none'`: once buffered; written to the OS when the buffer fills, at the end of the
   *   current event-loop turn, on `flush()`/`sync()`/`close()`. A process crash may lose
   *   the unwritten buffer, a power failure anything not yet fsynced (sealed segments
   *   included: they are fsynced at rotation only in the durable modes).
   * - `'batch'` (group commit): once an fdatasync covering it has completed; all appends
   *   made while one fdatasync runs share the next one.
   * - `'always'`: each call is written and fdatasynced before it returns.
   */
  durability?: Durability;
  /** Bytes of log per sparse-index entry (and per cached block). Default 4 KiB. */
  indexInterval?: number;
  /** LRU block cache for `get`, in bytes. Default 32 MiB. */
  blockCacheSize?: number;
  /** Open without the writer lock: read, iterate and tail only. */
  readOnly?: boolean;
  /** Where `archive()` copies sealed segments, and where archived segments are read from. */
  archive?: StorageBackend;
  /** Key prefix inside the archive backend. Default `''`. */
  archivePrefix?: string;
  /** Run `repair()` while opening instead of refusing a log with mid-segment damage. */
  repair?: boolean;
  /** How long to wait for the writer lock. Default 0 (fail at once with ELOCKED). */
  lockWaitMs?: number;
  /**
   * Most segment files kept open for reading at once (least recently used ones are closed
   * first), whatever the number of segments and however they are read. Default 32.
   */
  maxOpenFiles?: number;
}

export interface LogStats {
  directory: string;
  segments: number;
  localSegments: number;
  archivedSegments: number;
  events: number;
  /** Bytes of segment files (local and archived). */
  bytes: number;
  oldestEventId: number | undefined;
  newestEventId: number | undefined;
  nextId: number;
  durability: Durability;
  /** fdatasync calls on segment files since open. */
  syncs: number;
  /** True while full write buffers are checksummed on a thread of their own (sustained appends). */
  checksumThread: boolean;
  cache: { hits: number; misses: number; bytes: number };
  damaged: { segment: string; offset: number; reason: string }[];
  recovery: RecoveryReport;
}

export interface RepairReport {
  segmentsChecked: number;
  recordsKept: number;
  problems: RepairProblem[];
}

export interface VerifyReport {
  segmentsChecked: number;
  recordsChecked: number;
  problems: { segment: string; offset: number; reason: string }[];
}

export interface ArchiveReport {
  archived: { segment: string; key: string; bytes: number }[];
}

interface Waiter {
  resolve: (value: number) => void;
  reject: (error: unknown) => void;
  value: number;
}

/** Suffix of a segment being created; such files are leftovers of a crash and removed on open. */
const TEMP_SUFFIX = '.tmp';
/** Default of `maxOpenFiles`. */
const DEFAULT_MAX_OPEN_FILES = 32;
/** Buffers written on the caller's thread before the seal pipeline starts (~1 MiB at the default buffer size). */
const PIPELINE_AFTER = 16;

const CLOSED = (): StorageError => new StorageError('ECLOSED', 'event log is closed');

/**
 * A segmented append-only event log. One writer per directory (a cross-process lock);
 * any number of readers, in this process or others.
 */
export class EventLog implements AsyncDisposable {
  readonly directory: string;
  readonly readOnly: boolean;
  readonly durability: Durability;
  readonly #maxFileSize: number;
  readonly #writeBufferSize: number;
  readonly #interval: number;
  readonly #fsb: FilesystemBackend;
  readonly #archive: StorageBackend | undefined;
  readonly #archivePrefix: string;
  readonly #cache: BlockCache;
  readonly #maxOpenFiles: number;
  /** Use counter for the read descriptors' LRU. */
  #fdTick = 0;
  /** Unregisters the process-exit flush (writers). */
  #exitHook: (() => void) | undefined;
  #lock: FileLock | undefined;
  #meta: Meta;
  #segments: Segment[] = [];
  #appender: Appender | undefined;
  /** Checksums and writes full buffers on a thread of its own (sustained appends, durability 'none' or 'batch'). */
  #pipeline: SealPipeline | undefined;
  /** No pipeline may start any more: one failed to start, or the log is closing. */
  #pipelineOff = false;
  /** Full buffers written on this thread; the pipeline starts after PIPELINE_AFTER of them (short bursts never start a thread). */
  #fullBuffers = 0;
  readonly #pipelines = (fullBuffer: boolean): SealPipeline | undefined => {
    if (fullBuffer && ++this.#fullBuffers >= PIPELINE_AFTER && this.#pipeline === undefined && !this.#pipelineOff && this.durability !== 'always' && !this.#closed) {
      this.#pipeline = SealPipeline.start(this.#writeBufferSize);
      this.#pipelineOff = this.#pipeline === undefined;
    }
    return this.#pipeline;
  };
  #nextId = 0;
  #closed = false;
  #recovery: RecoveryReport = { truncated: [], rebuiltIndexes: [], damaged: [], leftovers: [], repaired: [] };
  #syncs = 0;
  #waiting: Waiter[] = [];
  #commitScheduled = false;
  #commitRunning = false;
  #retiredFds: number[] = [];
  #idleFlushScheduled = false;
  #background: Promise<void> = Promise.resolve();
  #backgroundError: unknown;
  #archiveBytes = new Map<number, Promise<Uint8Array>>();
  /**
   * Blocks that are not cached are read into the process's scratch WebAssembly memory, so
   * the record found there is checksummed in place (~80 ns against ~160 ns for the
   * JavaScript tables). This is the Block over that memory, remade when the memory grows.
   */
  #scratch: Block | undefined;

  private constructor(directory: string, options: EventLogOptions, meta: Meta) {
    this.directory = directory;
    this.readOnly = options.readOnly === true;
    this.durability = options.durability ?? 'none';
    this.#maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    this.#writeBufferSize = options.writeBufferSize ?? DEFAULT_WRITE_BUFFER_SIZE;
    this.#interval = options.indexInterval ?? DEFAULT_INDEX_INTERVAL;
    this.#fsb = new FilesystemBackend(directory);
    this.#archive = options.archive;
    this.#archivePrefix = normalizePrefix(options.archivePrefix ?? '');
    this.#cache = new BlockCache(options.blockCacheSize ?? DEFAULT_BLOCK_CACHE_SIZE);
    this.#maxOpenFiles = options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES;
    this.#meta = meta;
  }

  /** Opens (creating if needed, unless read-only) the log in `directory` and recovers it. */
  static async open(directory: string, options: EventLogOptions = {}): Promise<EventLog> {
    validateOptions(options);
    if (typeof directory !== 'string' || directory === '') throw new StorageError('EINVAL', 'directory must be a non-empty string', { field: 'directory' });
    checkText(directory, 'directory');
    const dir = path.resolve(directory);
    const readOnly = options.readOnly === true;
    if (readOnly) {
      // A reader creates nothing: a missing directory is reported, never made (the backend below would make it).
      let st;
      try {
        st = statSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('ENOENT', 'no event log here', { path: directory });
        throw fromNodeError(error, directory, 'open event log');
      }
      if (!st.isDirectory()) throw new StorageError('ENOTDIR', 'not a directory', { path: directory });
    } else {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (error) {
        throw fromNodeError(error, directory, 'create log directory');
      }
    }
    const lock = readOnly ? undefined : await FileLock.acquire(path.join(dir, LOCK_FILE), { waitMs: options.lockWaitMs ?? 0 });
    try {
      const fsb = new FilesystemBackend(dir);
      const read = await readMeta(fsb, options.repair === true && !readOnly);
      const log = new EventLog(dir, options, read?.meta ?? emptyMeta());
      log.#lock = lock;
      await log.#load(options.repair === true, read?.trust ?? 'verified');
      return log;
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  async #load(repair: boolean, metaTrust: MetaTrust): Promise<void> {
    let names = listDir(this.directory, this.readOnly);
    let loaded: ReturnType<typeof loadSegments>;
    for (let attempt = 1; ; attempt++) {
      if (this.readOnly && names.every((n) => parseSegmentFileName(n) === undefined) && this.#meta.segments.length === 0) {
        throw new StorageError('ENOENT', 'no event log here', { path: this.directory });
      }
      const seen = snapshotKey(this.#meta, names);
      try {
        loaded = loadSegments(this.directory, this.#meta, names, {
          interval: this.#interval,
          writer: !this.readOnly,
          tolerateDamage: repair && !this.readOnly,
          metaTrust,
        });
        break;
      } catch (error) {
        // A reader holds no lock: it read meta.json, listed the directory and opened the
        // segments at three moments, and a writer's deleteRange or archive() in between
        // (meta.json first, then the files) makes a listed segment vanish or a recorded one
        // look lost. Damage is what a fresh look still shows: the same meta.json and files.
        if (!this.readOnly || attempt >= READ_ONLY_LOAD_ATTEMPTS || !isStorageError(error) || (error.code !== 'ENOENT' && error.code !== 'ECORRUPT')) throw error;
        const read = await readMeta(this.#fsb);
        const again = listDir(this.directory, true);
        const meta = read?.meta ?? emptyMeta();
        if (snapshotKey(meta, again) === seen) throw error;
        this.#meta = meta;
        metaTrust = read?.trust ?? 'verified';
        names = again;
      }
    }
    const { segments, report } = loaded;
    this.#segments = segments;
    this.#recovery = report;
    const last = segments[segments.length - 1];
    this.#nextId = Math.max(this.#meta.nextId, last === undefined ? 0 : Math.max(last.firstId, last.lastId + 1));
    if (this.readOnly) return;
    for (const name of report.leftovers) unlinkQuiet(path.join(this.directory, name));
    // What a crash left behind: temp files of meta.json/index writes, new segments, repairs
    // and lock attempts of dead processes. This process holds the lock, so none is in use.
    for (const name of names) {
      if (isCrashLeftover(this.directory, name)) {
        unlinkQuiet(path.join(this.directory, name));
        report.leftovers.push(name);
      }
    }
    this.#exitHook = flushOnExit(() => {
      if (!this.#closed) this.#appender?.flush();
    });
    if (last === undefined || last.sealed || !last.local) {
      this.#startSegment(last === undefined ? this.#meta.firstSegment : last.number + 1);
    } else {
      this.#openAppender(last);
    }
    for (const seg of this.#segments) if (seg.sealed && seg.local && report.rebuiltIndexes.includes(seg.indexName)) this.#queue(() => this.#persistIndex(seg));
    this.#meta.clean = false;
    await this.#queue(() => this.#writeMeta());
    if (repair) this.#recovery.repaired = [...report.repaired, ...(await this.repair()).problems];
  }

  #openAppender(seg: Segment): void {
    const fd = openSync(path.join(this.directory, seg.fileName), 'r+');
    this.#appender = new Appender(fd, seg.fileName, seg.size, this.#writeBufferSize, this.#pipelines);
  }

  /**
   * Creates segment `number` starting at the next id and makes it the active one. The
   * header is written to a temp file and renamed into place, so a crash never leaves a
   * segment without a whole header.
   */
  #startSegment(number: number): void {
    const seg = new Segment(number, this.#nextId);
    const file = path.join(this.directory, seg.fileName);
    const temp = `${file}${TEMP_SUFFIX}`;
    let fd: number;
    try {
      fd = openSync(temp, 'w+');
      writeSync(fd, encodeSegmentHeader(this.#nextId), 0, SEGMENT_HEADER_SIZE, 0);
      fdatasyncSync(fd);
      renameSync(temp, file);
      syncDirectory(this.directory);
    } catch (error) {
      throw fromNodeError(error, seg.fileName, 'create segment');
    }
    this.#appender = new Appender(fd, seg.fileName, SEGMENT_HEADER_SIZE, this.#writeBufferSize, this.#pipelines);
    this.#segments.push(seg);
  }

  // ---------------------------------------------------------------- appending

  /** Appends `data` under `id`, which must be the next expected id (`ECONFLICT` otherwise). */
  appendWithId(id: number, data: Uint8Array): Promise<number> {
    if (id !== this.#nextId) return Promise.reject(this.#idError(id));
    const error = this.#write(id, data);
    if (error !== undefined) return Promise.reject(error);
    return this.#acknowledge(id);
  }

  /** Appends `batch` under consecutive ids from `firstId`; resolves to the last id. All or nothing is validated up front. */
  appendBatchWithIds(firstId: number, batch: readonly Uint8Array[]): Promise<number> {
    if (firstId !== this.#nextId) return Promise.reject(this.#idError(firstId));
    for (let i = 0; i < batch.length; i++) {
      const data = batch[i];
      if (!(data instanceof Uint8Array) || data.length > MAX_RECORD_DATA) {
        return Promise.reject(new StorageError('EINVAL', `batch[${i}] must be a Uint8Array of at most ${MAX_RECORD_DATA} bytes`, { field: `batch[${i}]` }));
      }
    }
    if (batch.length === 0) return Promise.resolve(firstId - 1);
    if (this.#appender === undefined || this.#closed) return Promise.reject(this.#closed ? CLOSED() : this.#idError(firstId));
    if (firstId + batch.length - 1 > MAX_ID) return Promise.reject(new StorageError('EINVAL', 'id space exhausted', { field: 'id' }));
    // The checks are done once for the batch; the loop only encodes.
    const interval = this.#interval;
    const max = this.#maxFileSize;
    let seg = this.#segments[this.#segments.length - 1]!;
    let appender = this.#appender;
    let id = firstId;
    try {
      for (let i = 0; i < batch.length; i++) {
        const data = batch[i]!;
        const total = RECORD_HEADER_SIZE + data.length;
        if (seg.size + total > max && seg.count > 0) {
          this.#rotateNow();
          seg = this.#segments[this.#segments.length - 1]!;
          appender = this.#appender!;
        }
        const offset = seg.size;
        appender.append(id, data);
        seg.note(id, offset, total, interval);
        this.#nextId = ++id;
      }
    } catch (error) {
      return Promise.reject(error instanceof StorageError ? error : fromNodeError(error, seg.fileName, 'append'));
    }
    return this.#acknowledge(id - 1);
  }

  /** Appends `data` under the next id and resolves to that id. */
  append(data: Uint8Array): Promise<number> {
    const id = this.#nextId;
    const error = this.#write(id, data);
    if (error !== undefined) return Promise.reject(error);
    return this.#acknowledge(id);
  }

  /** Appends `batch` under consecutive ids and resolves to the first one. */
  appendBatch(batch: readonly Uint8Array[]): Promise<number> {
    const first = this.#nextId;
    return this.appendBatchWithIds(first, batch).then(() => first);
  }

  #idError(id: number): StorageError {
    if (this.#closed) return CLOSED();
    if (this.readOnly) return new StorageError('EACCES', 'event log is open read-only', { path: this.directory });
    return new StorageError('ECONFLICT', `expected id ${this.#nextId}, got ${String(id)}`, { field: 'id', offset: this.#nextId });
  }

  /** Encodes one record into the write buffer; returns an error instead of throwing (hot path). */
  #write(id: number, data: Uint8Array): StorageError | undefined {
    if (this.#appender === undefined || this.#closed) return this.#closed ? CLOSED() : this.#idError(id);
    if (!(data instanceof Uint8Array)) return new StorageError('EINVAL', 'event data must be a Uint8Array', { field: 'data' });
    const size = data.length;
    if (size > MAX_RECORD_DATA) return new StorageError('EINVAL', `event of ${size} bytes exceeds ${MAX_RECORD_DATA}`, { field: 'data' });
    if (id > MAX_ID) return new StorageError('EINVAL', 'id space exhausted', { field: 'id' });
    let seg = this.#segments[this.#segments.length - 1]!;
    const total = RECORD_HEADER_SIZE + size;
    try {
      if (seg.size + total > this.#maxFileSize && seg.count > 0) {
        this.#rotateNow();
        seg = this.#segments[this.#segments.length - 1]!;
      }
      const offset = seg.size;
      // Rotation replaced the appender: never write through the stale one.
      this.#appender!.append(id, data);
      seg.note(id, offset, total, this.#interval);
    } catch (error) {
      return error instanceof StorageError ? error : fromNodeError(error, seg.fileName, 'append');
    }
    this.#nextId = id + 1;
    return undefined;
  }

  #acknowledge(id: number): Promise<number> {
    switch (this.durability) {
      case 'none':
        if (!this.#idleFlushScheduled) {
          this.#idleFlushScheduled = true;
          setImmediate(this.#idleFlush);
        }
        return Promise.resolve(id);
      case 'always':
        try {
          this.#appender!.flush();
          this.#appender!.syncNow();
          this.#syncs++;
        } catch (error) {
          return Promise.reject(error);
        }
        return Promise.resolve(id);
      case 'batch':
        return this.#groupCommit(id);
    }
  }

  readonly #idleFlush = (): void => {
    this.#idleFlushScheduled = false;
    if (this.#closed) return;
    try {
      this.#appender?.flush();
    } catch (error) {
      this.#backgroundError ??= error;
    }
  };

  /** Resolves with `value` once an fdatasync that started after this call has completed. */
  #groupCommit(value: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#waiting.push({ resolve, reject, value });
      if (!this.#commitScheduled && !this.#commitRunning) {
        this.#commitScheduled = true;
        setImmediate(this.#runCommit);
      }
    });
  }

  readonly #runCommit = (): void => {
    this.#commitScheduled = false;
    if (this.#commitRunning || this.#waiting.length === 0) return;
    const batch = this.#waiting;
    this.#waiting = [];
    const appender = this.#appender;
    if (appender === undefined) {
      for (const w of batch) w.reject(CLOSED());
      return;
    }
    try {
      appender.flush();
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    this.#commitRunning = true;
    appender.syncLater((error) => {
      this.#commitRunning = false;
      this.#syncs++;
      for (const fd of this.#retiredFds) closeSync(fd);
      this.#retiredFds = [];
      if (error === null) for (const w of batch) w.resolve(w.value);
      else for (const w of batch) w.reject(error);
      if (this.#waiting.length > 0) this.#runCommit();
    });
  };

  #stopPipeline(): void {
    const pipeline = this.#pipeline;
    if (pipeline === undefined) return;
    this.#pipeline = undefined;
    this.#pipelineOff = true;
    try {
      this.#appender?.leavePipeline();
    } finally {
      pipeline.stop();
    }
  }

  /** Seals the active segment and starts the next one (inside an append, synchronously). */
  #rotateNow(): void {
    const appender = this.#appender!;
    const old = this.#segments[this.#segments.length - 1]!;
    appender.flush();
    old.sealed = true;
    this.#appender = undefined;
    if (this.durability === 'none') {
      // No durability was asked for: the sealed segment reaches the disk when the OS
      // writes it back (or at close). After a power failure its tail may be missing;
      // open then reports it as damaged and repair() cuts it.
      this.#retireFd(appender.fd);
      this.#startSegment(old.number + 1);
      this.#queue(async () => {
        await this.#persistIndex(old);
        await this.#writeMeta();
      });
      return;
    }
    // Durable modes: appends waiting for a group commit on this segment are covered by
    // this fsync, and recovery can rely on only the last segment having a torn tail.
    appender.syncNow();
    this.#syncs++;
    this.#retireFd(appender.fd);
    this.#startSegment(old.number + 1);
    this.#queue(async () => {
      await this.#persistIndex(old);
      await this.#writeMeta();
    });
  }

  /** Closes a sealed segment's write fd, after any fdatasync still running on it. */
  #retireFd(fd: number): void {
    if (this.#commitRunning) this.#retiredFds.push(fd);
    else closeSync(fd);
  }

  /** Seals the active segment now (if it holds any event) and starts a new one. */
  async rotate(): Promise<void> {
    this.#assertWriter();
    const seg = this.#segments[this.#segments.length - 1]!;
    if (seg.count > 0) this.#rotateNow();
    await this.#background;
    this.#throwBackgroundError();
  }

  /** Writes buffered events to the OS (visible to readers in other processes), without fsync. */
  async flush(): Promise<void> {
    this.#assertWriter();
    this.#appender!.flush();
  }

  /** Resolves once every event appended before the call is on stable storage. */
  async sync(): Promise<void> {
    this.#assertWriter();
    await this.#groupCommit(0);
    this.#throwBackgroundError();
  }

  /**
   * Moves the id counter forward to `nextId` (for ids allocated elsewhere and never
   * written). Moving it backward would reuse ids: `ECONFLICT` naming the expected id.
   */
  async syncCounter(nextId: number): Promise<void> {
    this.#assertWriter();
    checkId(nextId, 'nextId');
    if (nextId < this.#nextId) {
      throw new StorageError('ECONFLICT', `counter is at ${this.#nextId}; cannot move back to ${nextId}`, { field: 'nextId', offset: this.#nextId });
    }
    this.#nextId = nextId;
    this.#meta.nextId = nextId;
    await this.#queue(() => this.#writeMeta());
  }

  // ---------------------------------------------------------------- reading

  /** Events with `start ≤ id < end` in id order; see {@link RangeOptions} for tailing. */
  iterRange(start = 0, end = Number.POSITIVE_INFINITY, options: RangeOptions = {}): AsyncIterable<LogEvent> {
    checkId(start, 'start');
    if (end !== Number.POSITIVE_INFINITY) checkId(end, 'end');
    return {
      [Symbol.asyncIterator]: () => {
        if (this.#closed) throw CLOSED();
        return new RangeIterator(this.#readerPort, start, end, options);
      },
    };
  }

  /**
   * Like {@link iterRange}, but yields arrays of the events available without waiting
   * (up to `maxBatch`, default 4096): one promise per batch instead of one per event.
   * Events verified before a damaged record are yielded before the error is thrown.
   */
  iterBatches(start = 0, end = Number.POSITIVE_INFINITY, options: RangeOptions & { maxBatch?: number } = {}): AsyncIterable<LogEvent[]> {
    const max = options.maxBatch ?? 4096;
    const range = this.iterRange(start, end, options);
    return {
      [Symbol.asyncIterator]: () => new BatchIterator(range[Symbol.asyncIterator]() as RangeIterator, max),
    };
  }

  /** The data of event `id`: `ENOENT` if the log has no such event, `ECORRUPT` if its record is damaged. */
  get(id: number): Promise<Uint8Array> {
    try {
      if (this.#closed) throw CLOSED();
      checkId(id, 'id');
      const seg = this.#segmentFor(id);
      if (seg !== undefined && seg.damage !== undefined && id > seg.lastId) {
        throw new StorageError('ECORRUPT', `event ${id} may lie in a damaged part of the segment: ${seg.damage.reason}`, { path: seg.fileName, offset: seg.damage.offset });
      }
      if (seg === undefined || seg.count === 0 || id > seg.lastId) return Promise.reject(notFound(id));
      if (!seg.local) return this.#getArchived(seg, id);
      const entry = seg.index.floor(id);
      if (entry < 0) return Promise.reject(notFound(id));
      return Promise.resolve(this.#getLocal(seg, entry, id));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Reads the block holding `id` — from the cache, or with one pread. A block enters the
   * cache on its second miss within a short window (a doorkeeper): under uniformly random
   * gets over a log much larger than the cache, caching every block would only add
   * allocation and eviction work, while blocks read again soon still get cached.
   */
  #getLocal(seg: Segment, entry: number, id: number): Uint8Array {
    const complete = seg.sealed || entry + 1 < seg.index.length;
    const key = BlockCache.key(seg.number, entry);
    const start = seg.index.offsets[entry]!;
    if (complete) {
      const cached = this.#cache.get(key);
      if (cached !== undefined) return findInBlock(cached, cached.bytes.length, seg, start, id);
    }
    const end = entry + 1 < seg.index.length ? seg.index.offsets[entry + 1]! : seg.size;
    const length = end - start;
    this.#ensureWritten(seg, end);
    let block: Block;
    let wasm: WasmCrc | undefined;
    if (complete && this.#cache.admit(key)) {
      block = blockOf(new Uint8Array(length));
    } else {
      wasm = scratchCrc(length);
      if (this.#scratch?.bytes !== wasm.data) this.#scratch = blockOf(wasm.data);
      block = this.#scratch!;
    }
    const n = readFully(this.#readFd(seg), block.bytes, 0, length, start);
    if (n < length) {
      throw new StorageError('ECORRUPT', `segment is shorter than expected (${start + n} < ${end})`, { path: seg.fileName, offset: start + n });
    }
    if (wasm === undefined) this.#cache.set(key, block);
    return findInBlock(block, length, seg, start, id, wasm);
  }

  async #getArchived(seg: Segment, id: number): Promise<Uint8Array> {
    await this.#ensureArchivedIndex(seg);
    const entry = seg.index.floor(id);
    if (entry < 0) throw notFound(id);
    const key = BlockCache.key(seg.number, entry);
    let block = this.#cache.get(key);
    if (block === undefined) {
      const start = seg.index.offsets[entry]!;
      const end = entry + 1 < seg.index.length ? seg.index.offsets[entry + 1]! : seg.size;
      block = blockOf(await this.#readArchivedRange(seg, start, end - start));
      this.#cache.set(key, block);
    }
    return findInBlock(block, block.bytes.length, seg, seg.index.offsets[entry]!, id);
  }

  /** Id of the oldest event still in the log (archived ones included); undefined when empty. */
  async oldestEventId(): Promise<number | undefined> {
    if (this.#closed) throw CLOSED();
    if (this.readOnly) this.#catchUp();
    return this.#segments.find((s) => s.count > 0)?.firstIdOfRecords();
  }

  /** Id of the newest event in the log; undefined when empty. */
  async newestEventId(): Promise<number | undefined> {
    if (this.#closed) throw CLOSED();
    if (this.readOnly) this.#catchUp();
    for (let i = this.#segments.length - 1; i >= 0; i--) if (this.#segments[i]!.count > 0) return this.#segments[i]!.lastId;
    return undefined;
  }

  /** The id the next `append` will use. */
  get nextId(): number {
    return this.#nextId;
  }

  async stats(): Promise<LogStats> {
    if (this.#closed) throw CLOSED();
    if (this.readOnly) this.#catchUp();
    const damaged = this.#segments.filter((s) => s.damage !== undefined).map((s) => ({ segment: s.fileName, ...s.damage! }));
    return {
      directory: this.directory,
      segments: this.#segments.length,
      localSegments: this.#segments.filter((s) => s.local).length,
      archivedSegments: this.#segments.filter((s) => s.archive !== undefined).length,
      events: this.#segments.reduce((n, s) => n + s.count, 0),
      bytes: this.#segments.reduce((n, s) => n + s.size, 0),
      oldestEventId: await this.oldestEventId(),
      newestEventId: await this.newestEventId(),
      nextId: this.#nextId,
      durability: this.durability,
      syncs: this.#syncs,
      checksumThread: this.#pipeline?.ready === true,
      cache: { hits: this.#cache.hits, misses: this.#cache.misses, bytes: this.#cache.size },
      damaged,
      recovery: this.#recovery,
    };
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Deletes the sealed segments lying wholly inside `[start, end)`, oldest first, and
   * returns how many events went. Deletion is from the head of the log only: a range
   * that covers a whole segment while an older one survives is `EINVAL`.
   */
  async deleteRange(start: number, end: number): Promise<number> {
    this.#assertWriter();
    checkId(start, 'start');
    checkId(end, 'end');
    const doomed: Segment[] = [];
    for (const seg of this.#segments) {
      if (!seg.sealed) break;
      const lo = seg.count === 0 ? seg.firstId : seg.firstIdOfRecords();
      const hi = seg.count === 0 ? seg.firstId : seg.lastId;
      if (lo >= start && hi < end) doomed.push(seg);
      else break;
    }
    const skipped = this.#segments.slice(doomed.length).find((s) => s.sealed && s.count > 0 && s.firstIdOfRecords() >= start && s.lastId < end);
    if (skipped !== undefined) {
      throw new StorageError('EINVAL', `deleteRange deletes from the head of the log only; ${skipped.fileName} has older segments before it`, { path: skipped.fileName });
    }
    if (doomed.length === 0) return 0;
    await this.#background;
    this.#segments = this.#segments.slice(doomed.length);
    this.#meta.firstSegment = this.#segments[0]!.number;
    // meta.json first: a crash after it leaves files that the next open removes as leftovers.
    await this.#queue(() => this.#writeMeta());
    for (const seg of doomed) {
      seg.closeReadFd();
      unlinkQuiet(path.join(this.directory, seg.fileName));
      unlinkQuiet(path.join(this.directory, seg.indexName));
      this.#archiveBytes.delete(seg.number);
    }
    syncDirectory(this.directory);
    this.#cache.clear();
    return doomed.reduce((n, s) => n + s.count, 0);
  }

  /**
   * Checks every record of every local segment, cuts torn tails, rewrites segments with
   * damaged records (keeping every valid record; the original is kept as
   * `<segment>.corrupt-<time>`), and rebuilds all indexes.
   */
  async repair(): Promise<RepairReport> {
    this.#assertWriter();
    await this.#drainCommits();
    this.#appender!.flush();
    const report: RepairReport = { segmentsChecked: 0, recordsKept: 0, problems: [] };
    const last = this.#segments[this.#segments.length - 1]!;
    for (const seg of this.#segments) {
      if (!seg.local) continue;
      report.segmentsChecked++;
      const active = seg === last;
      if (active) {
        this.#appender!.close();
        this.#appender = undefined;
      }
      seg.closeReadFd();
      const problems = repairSegment(this.directory, seg, this.#interval);
      report.problems.push(...problems);
      report.recordsKept += seg.count;
      if (active) this.#openAppender(seg);
      else await this.#queue(() => this.#persistIndex(seg));
    }
    this.#cache.clear();
    this.#nextId = Math.max(this.#nextId, last.lastId + 1);
    await this.#queue(() => this.#writeMeta());
    return report;
  }

  /**
   * Reads every record of every segment (archived ones too, if reachable) without changing
   * anything. `onProgress(checked, total)` is called before each segment (counts of segments).
   */
  async verify(options: { signal?: AbortSignal; onProgress?: (segmentsChecked: number, segments: number) => void } = {}): Promise<VerifyReport> {
    if (this.#closed) throw CLOSED();
    const report: VerifyReport = { segmentsChecked: 0, recordsChecked: 0, problems: [] };
    if (!this.readOnly) this.#appender!.flush();
    for (const seg of this.#segments) {
      options.signal?.throwIfAborted();
      options.onProgress?.(report.segmentsChecked, this.#segments.length);
      report.segmentsChecked++;
      const probe = new Segment(seg.number, seg.firstId);
      let result;
      if (seg.local) {
        const { fd, size } = openSegmentFile(this.directory, seg.fileName, 'r');
        try {
          result = scanSegment(fd, probe, this.readOnly || seg.sealed ? size : seg.size, this.#interval);
        } finally {
          closeSync(fd);
        }
      } else {
        try {
          result = scanBytes(await this.#archivedBytes(seg), probe, this.#interval);
        } catch (error) {
          if (!(error instanceof StorageError) || error.code !== 'ECORRUPT') throw error;
          report.problems.push({ segment: seg.fileName, offset: 0, reason: error.message });
          continue;
        }
      }
      report.recordsChecked += probe.count;
      const isTail = seg === this.#segments[this.#segments.length - 1] && this.readOnly && result.stop === 'incomplete';
      if (result.stop !== undefined && !isTail) report.problems.push({ segment: seg.fileName, offset: result.end, reason: result.reason });
    }
    return report;
  }

  /**
   * Copies every sealed, not yet archived segment (and its index) to the archive backend,
   * reads the copy back and compares it, records the location in meta.json, and only
   * then deletes the local segment file. The local index is kept for fast `get`.
   */
  async archive(options: { signal?: AbortSignal } = {}): Promise<ArchiveReport> {
    this.#assertWriter();
    const backend = this.#archive;
    if (backend === undefined) throw new StorageError('EINVAL', 'no archive backend configured (options.archive)', { field: 'archive' });
    const report: ArchiveReport = { archived: [] };
    await this.#background;
    for (const seg of this.#segments) {
      options.signal?.throwIfAborted();
      if (!seg.sealed || !seg.local || seg.archive !== undefined) continue;
      if (seg.damage !== undefined) {
        throw new StorageError('ECORRUPT', `refusing to archive a damaged segment (${seg.damage.reason}); run repair()`, { path: seg.fileName, offset: seg.damage.offset });
      }
      const bytes = await this.#fsb.readFile(seg.fileName);
      const indexBytes = seg.index.encode(this.#summary(seg));
      const key = this.#archivePrefix + seg.fileName;
      const indexKey = this.#archivePrefix + seg.indexName;
      await backend.writeFile(key, bytes);
      await backend.writeFile(indexKey, indexBytes);
      const copy = await backend.readFile(key);
      const crc = crc32c(bytes);
      if (copy.length !== bytes.length || crc32c(copy) !== crc) {
        throw new StorageError('EIO', 'archived copy does not match the segment; local file kept', { path: key });
      }
      seg.archive = { key, indexKey, size: bytes.length, crc };
      await this.#queue(async () => {
        await this.#persistIndex(seg);
        await this.#writeMeta();
      });
      seg.closeReadFd();
      unlinkQuiet(path.join(this.directory, seg.fileName));
      seg.local = false;
      report.archived.push({ segment: seg.fileName, key, bytes: bytes.length });
    }
    syncDirectory(this.directory);
    return report;
  }

  /** Flushes, fsyncs, persists the active index and a clean meta.json, and releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.readOnly) {
        await this.#drainCommits();
        const appender = this.#appender!;
        appender.flush();
        this.#stopPipeline();
        appender.syncNow();
        this.#syncs++;
        await this.#background;
        const active = this.#segments[this.#segments.length - 1]!;
        await this.#persistIndex(active);
        this.#meta.clean = this.#backgroundError === undefined;
        await this.#writeMeta();
        this.#appender = undefined;
        appender.close();
      }
    } finally {
      this.#closed = true;
      this.#exitHook?.();
      try {
        this.#stopPipeline();
      } catch {
        // Its error was already thrown to an append, flush or close.
      }
      if (this.#appender !== undefined) {
        // Close failed before it got to the write fd (a failed write or fsync): release it anyway.
        try {
          this.#appender.close();
        } catch {
          // Already reported.
        }
        this.#appender = undefined;
      }
      for (const seg of this.#segments) seg.closeReadFd();
      await this.#lock?.release();
    }
    this.#throwBackgroundError();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- internals

  async #drainCommits(): Promise<void> {
    while (this.#commitRunning || this.#commitScheduled || this.#waiting.length > 0) {
      await this.#groupCommit(0);
    }
  }

  #assertWriter(): void {
    if (this.#closed) throw CLOSED();
    if (this.readOnly) throw new StorageError('EACCES', 'event log is open read-only', { path: this.directory });
  }

  #throwBackgroundError(): void {
    if (this.#backgroundError !== undefined) {
      const error = this.#backgroundError;
      this.#backgroundError = undefined;
      throw error;
    }
  }

  /** Runs index and meta.json writes one after another, off the append path. */
  #queue(task: () => Promise<void>): Promise<void> {
    const run = this.#background.then(task);
    this.#background = run.catch((error: unknown) => {
      this.#backgroundError ??= error;
    });
    return run;
  }

  #summary(seg: Segment): { firstId: number; coveredSize: number; lastId: number; count: number; interval: number } {
    return { firstId: seg.firstId, coveredSize: seg.size, lastId: seg.lastId, count: seg.count, interval: this.#interval };
  }

  async #persistIndex(seg: Segment): Promise<void> {
    await this.#fsb.writeFile(seg.indexName, seg.index.encode(this.#summary(seg)));
  }

  async #writeMeta(): Promise<void> {
    const segments: SegmentRecord[] = this.#segments
      .filter((s) => s.sealed)
      .map((s) => {
        const r: SegmentRecord = { number: s.number, firstId: s.firstId, lastId: s.lastId, count: s.count, size: s.size };
        if (s.archive !== undefined) r.archive = s.archive;
        return r;
      });
    this.#meta = { ...this.#meta, nextId: Math.max(this.#meta.nextId, this.#nextId), segments };
    await writeMeta(this.#fsb, this.#meta);
  }

  #segmentFor(id: number): Segment | undefined {
    const segs = this.#segments;
    let lo = 0;
    let hi = segs.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segs[mid]!.firstId <= id) {
        found = segs[mid];
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * The segment's read descriptor, opened on demand. At most `maxOpenFiles` stay open: the
   * least recently used one is closed first (reads are synchronous, so none is in use then).
   */
  #readFd(seg: Segment): number {
    seg.fdUsed = ++this.#fdTick;
    if (seg.readFd >= 0) return seg.readFd;
    let open = 0;
    let victim: Segment | undefined;
    for (const s of this.#segments) {
      if (s.readFd < 0) continue;
      open++;
      if (victim === undefined || s.fdUsed < victim.fdUsed) victim = s;
    }
    if (open >= this.#maxOpenFiles) victim?.closeReadFd();
    try {
      seg.readFd = openForReading(path.join(this.directory, seg.fileName));
    } catch (error) {
      throw fromNodeError(error, seg.fileName, 'open segment');
    }
    return seg.readFd;
  }

  /** The writer hands buffered bytes to the OS before anyone reads them from the file. */
  #ensureWritten(seg: Segment, end: number): void {
    const appender = this.#appender;
    if (appender !== undefined && seg === this.#segments[this.#segments.length - 1]) appender.ensureWritten(end);
  }

  /**
   * Readers in other processes: pick up new segments and records appended since the last
   * look. A torn or half-written tail is simply not there yet.
   */
  #catchUp(): boolean {
    if (!this.readOnly || this.#closed) return false;
    let grew = false;
    let last = this.#segments[this.#segments.length - 1];
    const names = listDir(this.directory, true);
    const numbers = names.map(parseSegmentFileName).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
    const newest = numbers[numbers.length - 1];
    this.#followMeta(new Set(numbers));
    for (;;) {
      if (last !== undefined && last.local) {
        const sealedNow = newest !== undefined && newest > last.number;
        grew = this.#extend(last) || grew;
        if (sealedNow) last.sealed = true;
      }
      const nextNumber = last === undefined ? numbers[0] : last.number + 1;
      if (nextNumber === undefined || !numbers.includes(nextNumber)) break;
      let firstId: number;
      try {
        const opened = openSegmentFile(this.directory, segmentFileName(nextNumber), 'r');
        firstId = opened.firstId;
        closeSync(opened.fd);
      } catch {
        break; // header not written yet
      }
      const seg = new Segment(nextNumber, firstId);
      this.#segments.push(seg);
      last = seg;
      grew = true;
    }
    return grew;
  }

  /**
   * What the writer did to older segments since we looked: deleted them (deleteRange) or
   * moved them to the archive. Segments whose file is gone and that we never opened are
   * dropped or switched to their archive copy; an open fd still reads a deleted file.
   */
  #followMeta(onDisk: Set<number>): void {
    let meta: { firstSegment?: unknown; segments?: { number?: unknown; archive?: ArchiveLocation }[] };
    try {
      meta = parseMeta(readFileSync(path.join(this.directory, META_FILE), 'utf8')).meta;
    } catch {
      return; // missing, being replaced or damaged: never act on it; look again next time
    }
    const first = typeof meta.firstSegment === 'number' ? meta.firstSegment : 0;
    const archived = new Map((meta.segments ?? []).filter((r) => r.archive !== undefined).map((r) => [r.number, r.archive!]));
    this.#segments = this.#segments.filter((seg) => seg.number >= first || seg.readFd >= 0);
    for (const seg of this.#segments) {
      if (seg.local && seg.readFd < 0 && !onDisk.has(seg.number) && archived.has(seg.number)) {
        seg.local = false;
        seg.archive = archived.get(seg.number);
      }
    }
  }

  #extend(seg: Segment): boolean {
    const fd = this.#readFd(seg);
    const size = fstatSync(fd).size;
    if (size <= seg.size) return false;
    const before = seg.count;
    scanSegment(fd, seg, size, this.#interval);
    return seg.count > before;
  }

  async #ensureArchivedIndex(seg: Segment): Promise<void> {
    if (seg.index.length > 0 || seg.count === 0) return;
    const archive = this.#requireArchive(seg);
    const { index, summary } = SparseIndex.decode(await archive.readFile(seg.archive!.indexKey), seg.archive!.indexKey);
    applyIndex(seg, index, summary.coveredSize, summary.lastId, summary.count, summary.interval);
  }

  #requireArchive(seg: Segment): StorageBackend {
    if (this.#archive === undefined || seg.archive === undefined) {
      throw new StorageError('ENOENT', `segment is archived${seg.archive ? ` at '${seg.archive.key}'` : ''}; open the log with the archive option to read it`, { path: seg.fileName });
    }
    return this.#archive;
  }

  async #readArchivedRange(seg: Segment, start: number, length: number): Promise<Uint8Array> {
    const archive = this.#requireArchive(seg);
    if (capabilitiesOf(archive).readRange && archive.readRange !== undefined) {
      const bytes = await archive.readRange(seg.archive!.key, start, length);
      if (bytes.length !== length) throw new StorageError('ECORRUPT', 'archived segment is shorter than recorded', { path: seg.archive!.key, offset: start + bytes.length });
      return bytes;
    }
    const all = await this.#archivedBytes(seg);
    return all.subarray(start, start + length);
  }

  /** The whole archived segment, checked against the CRC recorded when it was archived. */
  #archivedBytes(seg: Segment): Promise<Uint8Array> {
    let pending = this.#archiveBytes.get(seg.number);
    if (pending === undefined) {
      const archive = this.#requireArchive(seg);
      const location = seg.archive!;
      pending = archive.readFile(location.key).then((bytes) => {
        if (bytes.length !== location.size || crc32c(bytes) !== location.crc) {
          throw new StorageError('ECORRUPT', 'archived segment does not match the checksum recorded when it was archived', { path: location.key });
        }
        return bytes;
      });
      pending.catch(() => this.#archiveBytes.delete(seg.number));
      this.#archiveBytes.set(seg.number, pending);
    }
    return pending;
  }

  /** What the range iterator may touch. */
  readonly #readerPort: ReaderPort = {
    segments: (): readonly Segment[] => this.#segments,
    closed: (): boolean => this.#closed,
    readOnly: (): boolean => this.readOnly,
    readLocal: (seg: Segment, buf: Buffer, at: number, length: number, position: number): number => {
      this.#ensureWritten(seg, position + length);
      return readFully(this.#readFd(seg), buf, at, length, position);
    },
    readArchived: (seg: Segment, start: number, length: number): Promise<Uint8Array> => this.#readArchivedRange(seg, start, length),
    readAhead: (seg: Segment, start: number, limit: number): ReadAheadStream | undefined => {
      this.#ensureWritten(seg, limit);
      const st = fstatSync(this.#readFd(seg), { bigint: true });
      return ReadAheadStream.open(path.join(this.directory, seg.fileName), `${st.dev}:${st.ino}`, start, limit);
    },
    catchUp: (): boolean => this.#catchUp(),
  };
}

/** Finds `id` in `block[0, end)`, which starts at segment offset `base`; verifies only that record. */
/** `wasm`: the instance whose data area `block` is, to checksum the record in place. */
function findInBlock(block: Block, end: number, seg: Segment, base: number, id: number, wasm?: WasmCrc): Uint8Array {
  const { bytes, view } = block;
  let off = 0;
  while (off + RECORD_HEADER_SIZE <= end) {
    const hi = view.getUint32(off);
    const rid = hi * 0x1_0000_0000 + view.getUint32(off + 4);
    const size = view.getUint32(off + 8);
    if (hi > 0x1f_ffff || off + RECORD_HEADER_SIZE + size > end) break;
    if (rid === id) {
      // In place for short records; longer ones go to the native CRC inside recordCrc.
      const crc = wasm !== undefined && size < 512 ? wasm.crc(off + RECORD_HEADER_SIZE, size, wasm.crc(off, 12, 0)) : recordCrc(bytes, off, size);
      if (crc !== view.getUint32(off + 12)) {
        throw new StorageError('ECORRUPT', `record ${id} fails its checksum`, { path: seg.fileName, offset: base + off });
      }
      // A copy (blocks are shared through the cache, or reused as scratch), carved from
      // Node's buffer pool: a fresh ArrayBuffer per result costs a malloc and a sweep.
      const data = Buffer.allocUnsafe(size);
      data.set(bytes.subarray(off + RECORD_HEADER_SIZE, off + RECORD_HEADER_SIZE + size));
      return data;
    }
    if (rid > id) throw notFound(id);
    off += RECORD_HEADER_SIZE + size;
  }
  if (off === end) throw notFound(id);
  throw new StorageError('ECORRUPT', 'record header is damaged', { path: seg.fileName, offset: base + off });
}

function scanBytes(bytes: Uint8Array, seg: Segment, interval: number): { end: number; stop: 'incomplete' | 'corrupt' | undefined; reason: string } {
  let pos = SEGMENT_HEADER_SIZE;
  while (pos < bytes.length) {
    const total = inspectRecord(bytes, pos, bytes.length);
    if (total <= 0) return { end: pos, stop: total === 0 ? 'incomplete' : 'corrupt', reason: total === 0 ? 'record runs past the end of the file' : 'record header or checksum mismatch' };
    const id = recordId(bytes, pos);
    if (id <= seg.lastId || id < seg.firstId) return { end: pos, stop: 'corrupt', reason: `record id ${id} out of order` };
    seg.note(id, pos, total, interval);
    pos += total;
  }
  return { end: pos, stop: undefined, reason: '' };
}

function notFound(id: number): StorageError {
  return new StorageError('ENOENT', `no event with id ${id}`, { field: 'id', offset: id });
}

/**
 * How often a read-only open looks again when meta.json and the files disagree; each look
 * that differs from the one before means a writer changed them meanwhile.
 */
const READ_ONLY_LOAD_ATTEMPTS = 8;

/** What a read-only open based its picture on: meta.json and the directory listing. */
function snapshotKey(meta: Meta, names: string[]): string {
  return JSON.stringify([meta, [...names].sort()]);
}

function listDir(dir: string, missingOk: boolean): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if (missingOk && (error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('ENOENT', 'no event log here', { path: dir });
    throw fromNodeError(error, dir, 'list log directory');
  }
}

/** O_NOATIME spares the kernel an atime update per read (not allowed on others' files: then plain). */
function openForReading(file: string): number {
  try {
    return openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NOATIME ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    return openSync(file, 'r');
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromNodeError(error, path.basename(file), 'delete');
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
}

function validateOptions(o: EventLogOptions): void {
  const bad = (field: string, why: string): never => {
    throw new StorageError('EINVAL', `${field} ${why}`, { field });
  };
  if (o.maxFileSize !== undefined && (!Number.isSafeInteger(o.maxFileSize) || o.maxFileSize < 4096 || o.maxFileSize > MAX_SEGMENT_SIZE)) {
    bad('maxFileSize', `must be an integer between 4096 and ${MAX_SEGMENT_SIZE}`);
  }
  if (o.writeBufferSize !== undefined && (!Number.isSafeInteger(o.writeBufferSize) || o.writeBufferSize < 64 || o.writeBufferSize > 64 * 1024 * 1024)) {
    bad('writeBufferSize', 'must be an integer between 64 and 64 MiB');
  }
  if (o.indexInterval !== undefined && (!Number.isSafeInteger(o.indexInterval) || o.indexInterval < 64)) bad('indexInterval', 'must be an integer ≥ 64');
  if (o.blockCacheSize !== undefined && (!Number.isSafeInteger(o.blockCacheSize) || o.blockCacheSize < 0)) bad('blockCacheSize', 'must be a non-negative integer');
  if (o.durability !== undefined && !['none', 'batch', 'always'].includes(o.durability)) bad('durability', "must be 'none', 'batch' or 'always'");
  if (o.maxOpenFiles !== undefined && (!Number.isSafeInteger(o.maxOpenFiles) || o.maxOpenFiles < 1)) bad('maxOpenFiles', 'must be a positive integer');
  if (o.archivePrefix !== undefined) {
    if (typeof o.archivePrefix !== 'string') bad('archivePrefix', 'must be a string');
    checkText(o.archivePrefix, 'archivePrefix');
  }
}

/** Lone UTF-16 surrogates: strings UTF-8 cannot hold exactly (they would be stored as U+FFFD). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A string that goes into a file or a file name must survive UTF-8 unchanged: `EINVAL` naming the field otherwise. */
function checkText(value: string, field: string): void {
  if (LONE_SURROGATE.test(value)) throw new StorageError('EINVAL', `${field} is not valid Unicode (a lone surrogate): it cannot be stored as UTF-8 exactly`, { field });
}

/** Lock attempts leave `writer.lock.<token>.tmp` while they run: only a dead owner's (or an unreadable, old one) is a leftover. */
const LOCK_TEMP = /^writer\.lock\.[0-9a-f]+\.tmp$/;

function isCrashLeftover(dir: string, name: string): boolean {
  if (name.startsWith(TEMP_PREFIX) || name.endsWith(REPAIR_TEMP_SUFFIX) || name.endsWith(`.log${TEMP_SUFFIX}`)) return true;
  if (!LOCK_TEMP.test(name)) return false;
  const file = path.join(dir, name);
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    if (typeof owner.pid === 'number' && typeof owner.hostname === 'string') return !isOwnerAlive(owner);
  } catch {
    // Unreadable: being written right now, or a crash's half-written file.
  }
  try {
    return Date.now() - statSync(file).mtimeMs > 60_000;
  } catch {
    return false;
  }
}
