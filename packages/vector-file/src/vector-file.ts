import { closeSync, existsSync, fdatasync as fdatasyncCb, fstatSync, fsyncSync, ftruncateSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { LRUCache } from 'lru-cache';
import { FileLock, StorageError, fromNodeError } from '@store/backend-core';
import {
  FILE_HEADER_SIZE,
  HOST_LITTLE_ENDIAN,
  MAX_DATA_SIZE,
  RECORD_HEADER_SIZE,
  parseMetadata,
  parseRecord,
  recordSize,
} from './format.js';
import { encodeIndex } from './index-file.js';
import { compactFile } from './compact.js';
import { createFile, removeLeftovers, writeAll } from './files.js';
import { copyVector } from './vector-pool.js';
import { OffsetIndex } from './offset-index.js';
import { loadFile, scanTail, type RecoveryReport } from './recovery.js';
import { readFully, scanRecords } from './record-scan.js';
import { ChecksumArena } from './checksum-arena.js';
import { METRICS, SearchSet, type Metric, type SearchHit } from './search-set.js';
import { checkId, checkK, checkVector, type VectorInput } from './validate.js';
import { BatchEncoder, checkBatch, tombstone, type Batch, type PutItem } from './writer.js';

export type { PutItem } from './writer.js';

const fdatasync = promisify(fdatasyncCb);

export interface VectorFileOptions {
  /** Dimension of the vectors. Fixed by the first put when neither this nor the file says. */
  dimension?: number;
  /** Create the file when it does not exist (default false: `ENOENT`). */
  create?: boolean;
  /** Open without the writer lock; writes throw `EACCES`. Nothing on disk is created or changed. */
  readOnly?: boolean;
  /** 'fsync' (default): put/putBatch/delete resolve once fdatasync returned. 'none': once the bytes are in the OS (survives a process crash, not a power cut). */
  durability?: 'fsync' | 'none';
  /** Decoded vectors kept in the LRU cache (default 10,000; 0 disables it). */
  cacheSize?: number;
  /** Skip damaged records in the middle of the file instead of failing the open with `ECORRUPT`. */
  repair?: boolean;
  /** How long to wait for another process's writer lock (default 0: `ELOCKED` at once). */
  lockWaitMs?: number;
}

/** A stored vector. `created`/`updated` are ms since the Unix epoch. */
export interface VectorRecord {
  id: string;
  vector: Float32Array;
  /** The JSON metadata stored with the vector (null if none); frozen, as the cache shares it. */
  metadata: unknown;
  created: number;
  updated: number;
  /** 1 for a new id, +1 per put of a live id. */
  version: number;
}

export interface SearchOptions {
  /** 'cosine' (default; score = cosine similarity), 'dot' (dot product) or 'l2' (Euclidean distance, best = smallest). */
  metric?: Metric;
  /** Only vectors whose metadata passes are returned; asked only about candidates that would enter the top k. */
  filter?: (metadata: unknown) => boolean;
}

export interface CompactOptions {
  /** Called as data is copied: bytes of the old file read so far, and its size. */
  onProgress?: (done: number, total: number) => void;
}

export interface CompactResult {
  bytesBefore: number;
  bytesAfter: number;
  vectors: number;
}

export interface VerifyReport {
  records: number;
  live: number;
  bytes: number;
  problems: { offset: number; reason: string }[];
}

/** What `refresh()` took in. */
export interface RefreshResult {
  /** The file was replaced (a compaction in the writer's process) and was opened anew. */
  reopened: boolean;
  /** Bytes of new records read (after the previous end, or the whole file when reopened). */
  scannedBytes: number;
  /** Where the valid records end for now, when bytes after them are not (yet) a valid record: a write in progress, or damage. */
  stoppedAt?: { offset: number; reason: string };
}

export interface VectorFileStats {
  path: string;
  dimension: number;
  /** Live vectors. */
  count: number;
  /** Bytes of valid data in the file (header and every record, live or not). */
  fileBytes: number;
  readOnly: boolean;
  durability: 'fsync' | 'none';
  cache: { entries: number; max: number };
  /** Vectors resident in WebAssembly memory for search (loaded by the first search). */
  search: { loaded: boolean; vectors: number; bytes: number };
  recovery: RecoveryReport;
}

type Stored = VectorRecord;

/**
 * A file of float32 vectors with string ids and JSON metadata (format in format.ts and the
 * README). One writer per file across processes (a lock file beside it), any number of
 * readers. Every record carries a CRC32C; a record that fails it is reported with its
 * offset and never returned.
 */
export class VectorFile implements AsyncDisposable {
  readonly path: string;
  readonly #indexPath: string;
  readonly #readOnly: boolean;
  readonly #durability: 'fsync' | 'none';
  readonly #repair: boolean;
  #lock: FileLock | undefined;
  #fd: number;
  #size: number;
  #token: Uint8Array;
  #dimension: number;
  #offsets: OffsetIndex;
  readonly #cache: LRUCache<string, Stored> | undefined;
  readonly #cacheMax: number;
  #set: SearchSet | undefined;
  #report: RecoveryReport;
  #dirty = false;
  #closed = false;
  #failed: StorageError | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #read = new ChecksumArena(16 * 1024);
  /** Metadata bytes of the last record read: the next read's guess (records of a file tend to be alike). */
  #metaGuess = 0;
  /** Made by the first write (a reader never needs one: each holds WebAssembly memory). */
  #encoder: BatchEncoder | undefined;
  /** #append's per-item scratch: offset index entries; versions, created times and record positions. */
  #entries = new Int32Array(0);
  #times = new Float64Array(0);

  private constructor(path: string, options: VectorFileOptions, lock: FileLock | undefined, loaded: ReturnType<typeof loadFile>) {
    this.path = path;
    this.#indexPath = `${path}.idx`;
    this.#readOnly = options.readOnly === true;
    this.#durability = options.durability ?? 'fsync';
    this.#repair = options.repair === true;
    this.#lock = lock;
    this.#fd = loaded.fd;
    this.#size = loaded.size;
    this.#token = loaded.header.token;
    this.#dimension = loaded.dimension;
    this.#offsets = loaded.offsets;
    this.#report = loaded.report;
    this.#cacheMax = options.cacheSize ?? 10_000;
    this.#cache = this.#cacheMax > 0 ? new LRUCache<string, Stored>({ max: this.#cacheMax }) : undefined;
    // An index that was rebuilt or extended is rewritten at close.
    this.#dirty = loaded.report.index !== 'loaded';
  }

  /**
   * Opens (or with `create`, creates) the vector file at `path`. A writer takes the lock
   * `<path>.lock` (`ELOCKED` if another live process holds it) and cuts a torn tail; a
   * reader (`readOnly`) only stops before one.
   */
  static async open(path: string, options: VectorFileOptions = {}): Promise<VectorFile> {
    if (options.dimension !== undefined) checkVectorDimension(options.dimension);
    const readOnly = options.readOnly === true;
    if (readOnly && options.create === true) throw new StorageError('EINVAL', 'create and readOnly exclude each other', { path, field: 'create' });
    const lock = readOnly ? undefined : await FileLock.acquire(`${path}.lock`, { waitMs: options.lockWaitMs ?? 0 });
    try {
      if (!readOnly) removeLeftovers(path);
      if (!existsSync(path)) {
        if (options.create !== true) throw new StorageError('ENOENT', 'no such vector file (pass create: true to make one)', { path });
        await createFile(path, options.dimension ?? 0);
      }
      const loaded = loadFile(path, `${path}.idx`, { writer: !readOnly, repair: options.repair === true, ...(options.dimension === undefined ? {} : { dimension: options.dimension }) });
      return new VectorFile(path, options, lock, loaded);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  /** The vectors' dimension (0 until the first put when it was never given). */
  get dimension(): number {
    return this.#dimension;
  }

  /** Live vectors. */
  get size(): number {
    return this.#offsets.size;
  }

  async put(id: string, vector: VectorInput, metadata?: unknown): Promise<void> {
    await this.putBatch([{ id, vector, metadata }]);
  }

  /**
   * Writes all items with one write call (and one fdatasync with durability 'fsync').
   * Everything is checked first: a bad item (`EINVAL` naming it) writes nothing.
   */
  async putBatch(items: readonly PutItem[]): Promise<void> {
    this.#checkWritable();
    const batch = checkBatch(items, this.#dimension);
    if (batch.n === 0) return;
    const dimension = batch.dimension;
    await this.#exclusive(async () => {
      if (this.#dimension === 0) this.#dimension = dimension;
      else if (this.#dimension !== dimension) throw new StorageError('EINVAL', `vectors have dimension ${dimension}, the file ${this.#dimension}`, { path: this.path, field: 'vector' });
      await this.#append(batch);
    });
  }

  /** Writes a tombstone for `id`; false if it was not there. */
  async delete(id: string): Promise<boolean> {
    this.#checkWritable();
    const idBytes = checkId(id, 'id');
    return this.#exclusive(async () => {
      if (!this.#offsets.has(id)) return false;
      await this.#append(tombstone(id, idBytes));
      return true;
    });
  }

  /** The vector stored under `id`, or undefined. `ECORRUPT` (with the offset) if its record fails its checksum. */
  async get(id: string): Promise<VectorRecord | undefined> {
    this.#checkOpen();
    const s = this.#stored(id);
    if (s === undefined) return undefined;
    // Without a cache the record was decoded for this call alone: it is the caller's already.
    if (this.#cache === undefined) return s;
    return { id: s.id, vector: copyVector(s.vector), metadata: s.metadata, created: s.created, updated: s.updated, version: s.version };
  }

  async has(id: string): Promise<boolean> {
    this.#checkOpen();
    return this.#offsets.has(id);
  }

  /** Every live vector, in file order (a snapshot of the ids taken when iteration starts). */
  async *scan(): AsyncIterable<VectorRecord> {
    this.#checkOpen();
    const ids = this.#offsets.idsInFileOrder();
    for (const id of ids) {
      this.#checkOpen();
      const offset = this.#offsets.get(id);
      if (offset === undefined) continue; // deleted meanwhile
      const stored = this.#cache?.get(id) ?? this.#readAt(offset, id, true);
      yield { ...stored, vector: copyVector(stored.vector) };
    }
  }

  /** The k live vectors nearest to `query`, best first; ties go to the smaller id. */
  async search(query: VectorInput, k: number, options: SearchOptions = {}): Promise<SearchHit[]> {
    return (await this.searchBatch([query], k, options))[0]!;
  }

  /** `search` for many queries at once: the vectors are read from memory once for all of them. */
  async searchBatch(queries: readonly VectorInput[], k: number, options: SearchOptions = {}): Promise<SearchHit[][]> {
    this.#checkOpen();
    checkK(k);
    const metric = options.metric ?? 'cosine';
    if (!METRICS.includes(metric)) throw new StorageError('EINVAL', `metric must be one of ${METRICS.join(', ')}, got '${String(metric)}'`, { field: 'metric' });
    if (!Array.isArray(queries)) throw new StorageError('EINVAL', 'queries must be an array of vectors', { field: 'queries' });
    if (this.#dimension === 0) return queries.map(() => []);
    const qs = queries.map((q, i) => checkVector(q, this.#dimension, `queries[${i}]`));
    const set = this.#searchSet();
    const filter = options.filter;
    if (filter !== undefined && typeof filter !== 'function') throw new StorageError('EINVAL', 'filter must be a function', { field: 'filter' });
    let accept: ((slot: number) => boolean) | undefined;
    if (filter !== undefined) {
      const memo = new Map<number, boolean>();
      accept = (slot) => {
        let ok = memo.get(slot);
        if (ok === undefined) {
          ok = filter(this.#stored(set.ids[slot]!)!.metadata) === true;
          memo.set(slot, ok);
        }
        return ok;
      };
    }
    return set.search(qs, k, metric, accept);
  }

  /**
   * Rewrites the file with only its live records (byte for byte) under a temp name, then
   * renames it over the file: a reader sees the old file or the new one, never a mix.
   */
  async compact(options: CompactOptions = {}): Promise<CompactResult> {
    this.#checkWritable();
    return this.#exclusive(async () => this.#compact(options));
  }

  /**
   * A reader (`readOnly`) takes in what a writer in another process did since it opened or
   * last refreshed: new records are read from where the reader's view ends (checksums
   * verified), and a file replaced by compaction is opened anew. Bytes after the last valid
   * record (a write in progress) are left for a later refresh. Every write the writer had
   * acknowledged before `refresh` was called is visible after it. A writer sees its own
   * writes already: for it this does nothing.
   */
  async refresh(): Promise<RefreshResult> {
    this.#checkOpen();
    if (!this.#readOnly) return { reopened: false, scannedBytes: 0 };
    let onDisk: ReturnType<typeof statSync>;
    let mine: ReturnType<typeof fstatSync>;
    try {
      onDisk = statSync(this.path);
      mine = fstatSync(this.#fd);
    } catch (error) {
      throw fromNodeError(error, this.path, 'stat');
    }
    // Same inode: the writer only appended (records are never changed in place). Another
    // inode, or a shorter file: compaction renamed a new file over this one.
    if (onDisk.ino === mine.ino && onDisk.dev === mine.dev && mine.size >= this.#size) {
      if (mine.size === this.#size) return { reopened: false, scannedBytes: 0 };
      return this.#takeTail(mine.size);
    }
    const loaded = loadFile(this.path, this.#indexPath, { writer: false, repair: this.#repair, ...(this.#dimension === 0 ? {} : { dimension: this.#dimension }) });
    const oldFd = this.#fd;
    this.#fd = loaded.fd;
    closeSync(oldFd);
    this.#size = loaded.size;
    this.#token = loaded.header.token;
    if (this.#dimension === 0) this.#dimension = loaded.dimension;
    this.#offsets = loaded.offsets;
    this.#report = loaded.report;
    this.#cache?.clear();
    // Rebuilt from the new file by the next search (slots would not match the new offsets).
    this.#set = undefined;
    const torn = loaded.report.tornTail;
    return { reopened: true, scannedBytes: loaded.size, ...(torn === undefined ? {} : { stoppedAt: { offset: torn.offset, reason: torn.reason } }) };
  }

  /** Applies the records a writer appended after this reader's end of file. */
  #takeTail(fileSize: number): RefreshResult {
    const from = this.#size;
    const offsets = this.#offsets;
    const cache = this.#cache;
    const set = this.#set;
    const tail = scanTail(this.#fd, from, fileSize, this.path, 'stop', this.#dimension, {
      put(id, offset, b, valuesOffset) {
        offsets.set(id, offset);
        cache?.delete(id);
        set?.setBytes(id, b, valuesOffset);
      },
      delete(id) {
        offsets.delete(id);
        cache?.delete(id);
        set?.delete(id);
      },
    });
    this.#dimension = tail.dimension;
    this.#size = tail.end;
    return { reopened: false, scannedBytes: tail.end - from, ...(tail.tornAt >= 0 ? { stoppedAt: { offset: tail.tornAt, reason: tail.tornReason } } : {}) };
  }

  /** Checks every record of the file (checksums, and that the index points at valid records). */
  async verify(): Promise<VerifyReport> {
    this.#checkOpen();
    const fileSize = fstatSync(this.#fd).size;
    const problems: { offset: number; reason: string }[] = [];
    const idAt = new Map<number, string>();
    let records = 0;
    scanRecords(this.#fd, FILE_HEADER_SIZE, fileSize, this.path, {
      record(_b, _v, _p, f, offset) {
        records++;
        if (!f.deleted) idAt.set(offset, f.id);
      },
      problem(offset, reason, resumeAt) {
        problems.push({ offset, reason: resumeAt === undefined ? `${reason} (torn tail of ${fileSize - offset} bytes)` : reason });
        return true;
      },
    });
    for (const [id, offset] of this.#offsets) {
      if (idAt.get(offset) !== id) problems.push({ offset, reason: `no valid record of '${id}' where the index points` });
    }
    problems.sort((a, b) => a.offset - b.offset);
    return { records, live: this.#offsets.size, bytes: fileSize, problems };
  }

  async stats(): Promise<VectorFileStats> {
    this.#checkOpen();
    return {
      path: this.path,
      dimension: this.#dimension,
      count: this.#offsets.size,
      fileBytes: this.#size,
      readOnly: this.#readOnly,
      durability: this.#durability,
      cache: { entries: this.#cache?.size ?? 0, max: this.#cacheMax },
      search: { loaded: this.#set !== undefined, vectors: this.#set?.size ?? 0, bytes: this.#set?.residentBytes ?? 0 },
      recovery: this.#report,
    };
  }

  /** Writes the index (a writer whose index changed), closes the file and releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.catch(() => undefined);
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (!this.#readOnly && this.#dirty && this.#failed === undefined) this.#writeIndex();
    } finally {
      closeSync(this.#fd);
      this.#set = undefined;
      await this.#lock?.release();
      this.#lock = undefined;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ------------------------------------------------------------------ internals

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('ECLOSED', 'vector file is closed', { path: this.path });
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#readOnly) throw new StorageError('EACCES', 'vector file is open read-only', { path: this.path });
    if (this.#failed !== undefined) throw this.#failed;
  }

  /** Runs writes one at a time, in call order. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      this.#checkWritable();
      return fn();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #stored(id: string): Stored | undefined {
    const cached = this.#cache?.get(id);
    if (cached !== undefined) return cached;
    // The offset of the entry with id's hash, taken on trust: the record read there says
    // whose it is. Only when it is not id's (a hash collision, or damage) is the id compared in
    // the index, and the read repeated or the damage reported.
    const candidate = this.#offsets.candidate(id);
    if (candidate === -1) return undefined;
    let stored = candidate >= 0 ? this.#readAt(candidate, id, false) : undefined;
    if (stored === undefined) {
      const offset = this.#offsets.get(id);
      if (offset === undefined) return undefined;
      stored = this.#readAt(offset, id, true)!;
    }
    this.#cache?.set(id, stored);
    return stored;
  }

  /**
   * Reads and checks the record of `id` at `offset`: one pread of the size the record has
   * without metadata plus the metadata size of the last record read (so exactly the record
   * for files without metadata, where reading more would cross into another page more often),
   * and a second pread for the rest only when the record is larger than that.
   */
  #readAt(offset: number, id: string, strict: true): Stored;
  #readAt(offset: number, id: string, strict: boolean): Stored | undefined;
  #readAt(offset: number, id: string, strict: boolean): Stored | undefined {
    // Read into WebAssembly memory, where the checksum is computed without a native call.
    const buf = this.#read;
    const guess = recordSize(id.length, this.#dimension, this.#metaGuess);
    buf.ensure(guess);
    let n = readFully(this.#fd, buf.bytes, 0, guess, offset, this.path);
    if (n >= RECORD_HEADER_SIZE) {
      const size = RECORD_HEADER_SIZE + buf.view.getUint32(20, true);
      if (size > n && n === guess && size <= RECORD_HEADER_SIZE + MAX_DATA_SIZE) {
        buf.ensure(size); // keeps the bytes read so far (the memory grows in place)
        n += readFully(this.#fd, buf.bytes, n, size - n, offset + n, this.path);
      }
    }
    const r = parseRecord(buf.bytes, buf.view, 0, n, id, buf);
    if (!r.ok) {
      if (!strict) return undefined;
      throw new StorageError('ECORRUPT', `record of '${id}': ${r.reason}`, { path: this.path, offset });
    }
    const f = r.fields;
    if (f.id !== id || f.deleted) {
      if (!strict) return undefined;
      throw new StorageError('ECORRUPT', `the index points at a record of another id for '${id}'`, { path: this.path, offset });
    }
    // The cache keeps a buffer of its own (a pooled slab would stay alive for one cached vector); without a cache this copy is the caller's.
    let vector: Float32Array;
    if (HOST_LITTLE_ENDIAN) {
      const view = new Float32Array(buf.bytes.buffer, buf.bytes.byteOffset + f.valuesOffset, f.dimension);
      vector = this.#cache === undefined ? copyVector(view) : view.slice();
    } else {
      vector = new Float32Array(f.dimension);
      for (let i = 0; i < f.dimension; i++) vector[i] = buf.view.getFloat32(f.valuesOffset + 4 * i, true);
    }
    this.#metaGuess = f.metaLength;
    const metadata = f.metaLength === 0 ? null : deepFreeze(parseMetadata(buf.bytes, f, this.path, offset));
    return { id, vector, metadata, created: f.created, updated: f.updated, version: f.version };
  }

  /** Appends the records of `batch` (versions and times filled in here) with one write, then updates the maps. */
  async #append(batch: Batch): Promise<void> {
    const now = Date.now();
    const n = batch.n;
    const ids = batch.ids;
    const offsets = this.#offsets;
    // Scratch arrays kept between batches (writes run one at a time): a fresh ArrayBuffer per
    // batch and array costs more than the work done with it.
    if (this.#entries.length < n) {
      this.#entries = new Int32Array(n);
      this.#times = new Float64Array(3 * n);
    }
    const entries = this.#entries;
    const version = this.#times.subarray(0, n);
    const created = this.#times.subarray(n, 2 * n);
    const at = this.#times.subarray(2 * n, 3 * n);
    offsets.warm(batch.hashes, n);
    for (let i = 0; i < n; i++) {
      const e = batch.ascii[i] === 1 ? offsets.entryAscii(ids[i]!, batch.hashes[i]!) : offsets.entry(ids[i]!);
      entries[i] = e;
      if (offsets.offsetAt(e) >= 0) {
        const prev = this.#stored(ids[i]!)!;
        version[i] = prev.version + 1;
        created[i] = prev.created;
      } else {
        version[i] = 1;
        created[i] = now;
      }
    }
    const encoder = (this.#encoder ??= new BatchEncoder());
    const total = encoder.encode(batch, version, created, now, at);
    const b = encoder.bytes;
    const start = this.#size;
    try {
      let done = 0;
      while (done < total) done += writeSync(this.#fd, b, done, total - done, start + done);
    } catch (error) {
      // Take back a partial write so the file ends at a record boundary again.
      try {
        ftruncateSync(this.#fd, start);
      } catch {
        this.#failed = new StorageError('EIO', 'a failed write could not be undone; reopen the file', { path: this.path, offset: start });
      }
      throw fromNodeError(error, this.path, 'write');
    }
    this.#size = start + total;
    if (this.#durability === 'fsync') {
      try {
        await fdatasync(this.#fd);
      } catch (error) {
        // After a failed fsync the kernel may have dropped the dirty pages: nothing can be promised any more.
        this.#failed = fromNodeError(error, this.path, 'fdatasync');
        throw this.#failed;
      }
    }
    this.#dirty = true;
    const cache = this.#cache !== undefined && this.#cache.size > 0 ? this.#cache : undefined;
    const set = this.#set;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      cache?.delete(id);
      if (batch.deleted) {
        offsets.deleteAt(entries[i]!);
        set?.delete(id);
      } else {
        offsets.setAt(entries[i]!, start + at[i]!);
        set?.set(id, batch.vectors[i]!);
      }
    }
  }

  /** Loads the live vectors into WebAssembly memory on first use (checksums verified). */
  #searchSet(): SearchSet {
    if (this.#set !== undefined) return this.#set;
    const set = new SearchSet(this.#dimension, this.#offsets.size);
    const offsets = this.#offsets;
    const path = this.path;
    const repair = this.#repair;
    scanRecords(this.#fd, FILE_HEADER_SIZE, this.#size, path, {
      record(b, _v, _p, f, offset) {
        if (!f.deleted && offsets.get(f.id) === offset) set.setBytes(f.id, b, f.valuesOffset);
      },
      problem(offset, reason, resumeAt) {
        if (repair && resumeAt !== undefined) return true;
        throw new StorageError('ECORRUPT', reason, { path, offset });
      },
    });
    if (set.size !== offsets.size) {
      for (const [id, offset] of offsets) {
        // Tell exactly which record is bad (this read throws ECORRUPT with its offset).
        if (this.#cache?.get(id) === undefined) this.#readAt(offset, id, true);
      }
      throw new StorageError('ECORRUPT', `${offsets.size - set.size} indexed vectors have no valid record`, { path });
    }
    this.#set = set;
    return set;
  }

  #compact(options: CompactOptions): CompactResult {
    return compactFile({ path: this.path, fd: this.#fd, size: this.#size, dimension: this.#dimension, offsets: this.#offsets, repair: this.#repair }, options.onProgress, (written, token, offsets) => {
      // Swap to the new file before anything can interleave: no await until the maps match it.
      const oldFd = this.#fd;
      this.#fd = openSync(this.path, 'r+');
      closeSync(oldFd);
      this.#size = written;
      this.#token = token;
      this.#offsets = offsets;
      this.#writeIndex();
      this.#dirty = false;
    });
  }

  /** Replaces the index file atomically (temp file, fsync, rename). */
  #writeIndex(): void {
    const bytes = encodeIndex(this.#token, this.#size, this.#dimension, this.#offsets);
    const tmp = `${this.#indexPath}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, bytes, 0, bytes.length, 0, tmp);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#indexPath);
  }
}

function checkVectorDimension(dimension: number): void {
  if (!Number.isSafeInteger(dimension) || dimension < 1 || dimension > 65_536) {
    throw new StorageError('EINVAL', `dimension must be an integer in 1..65536, got ${String(dimension)}`, { field: 'dimension' });
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
