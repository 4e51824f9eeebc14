import { closeSync, constants, existsSync, fdatasyncSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { StorageError, crc32c, fromNodeError } from '@store/backend-core';
import { fdatasync } from './fs-util.js';

/**
 * The commit log, `.mvcc/commits.log`: one line per committed transaction, appended by
 * whichever process commits (under the commit lock) and read by every process.
 *
 *   <JSON of CommitRecord> TAB <CRC32C of the JSON's UTF-8 bytes, 8 lower-case hex digits> LF
 *
 * JSON never contains a raw TAB, LF or NUL, so the split is unambiguous. The file is
 * preallocated with zeros ahead of the last line (in steps of PREALLOC_BYTES), so an
 * append overwrites blocks that already exist and its fdatasync flushes data only — no
 * file-size change to journal. The log ends at the first NUL byte. A line is a commit
 * only when it is complete and its checksum matches; the line is the commit point of its
 * transaction. A writer killed mid-append leaves at most one incomplete line at the end,
 * which readers treat as "not there yet" and the next committer cuts off under the lock.
 * An invalid line followed by a valid one cannot come from a torn append, so it is
 * `ECORRUPT` rather than something to cut.
 *
 * Generations: compaction (see log-compaction.ts) replaces the file by a new one, renamed
 * over the same path, whose first line is a checkpoint (`{"checkpoint":B,…}`, same
 * framing) holding the state after commit B, followed by the records after B. A handle
 * notices the switch by the path naming another inode than its descriptor and starts
 * over on the new file (`generation` counts these switches).
 */
export interface PageWrite {
  /** Namespace (dotted). */
  ns: string;
  /** Page number (1 = page001). */
  page: number;
  /** CRC32C of the version file's bytes, 8 hex digits. */
  crc: string;
  /** The version file's full text, so a file lost with the OS cache can be rewritten. */
  text: string;
}

export interface CommitRecord {
  /** Commit sequence number: 1, 2, 3, … in log order; the serialization order. */
  seq: number;
  /** The transaction's TSN, which names its version files (`page001.json.v<tsn>`). */
  tsn: number;
  /** ISO time of the commit, for people reading the log. */
  time: string;
  /** Namespaces created (before `writes` apply). */
  creates: string[];
  /** Namespaces deleted (before `creates` and `writes` apply). */
  deletes: string[];
  writes: PageWrite[];
}

export interface LoggedRecord extends CommitRecord {
  /** Byte offset of the record's line in the log. */
  offset: number;
}

/** The first line of a compacted log: the committed state after commit `checkpoint`. */
export interface Checkpoint {
  /** Seq of the last commit folded in; the next line, if any, is seq `checkpoint + 1`. */
  checkpoint: number;
  /** ISO time of the compaction. */
  time: string;
  /** Every namespace's last create/delete at or before `checkpoint` (deleted ones too, so validation sees the same state). */
  namespaces: { ns: string; seq: number; exists: boolean }[];
  /** The version of every page visible at `checkpoint`; its file was fsynced and CRC-checked before the switch. */
  pages: { ns: string; page: number; seq: number; tsn: number; crc: string }[];
}

const LF = 0x0a;
const TAB = 0x09;
/** Zeros kept ahead of the last line; extended when fewer than LOW_WATER remain. */
export const PREALLOC_BYTES = 1024 * 1024;
const LOW_WATER = 64 * 1024;
const CHUNK = 64 * 1024;
/**
 * First read of a scan: most scans find nothing new or a few short lines. Reads go into
 * one reused buffer: a fresh 64 KiB buffer per read costs a page fault per 4 KiB on
 * first touch, which measured ~0.2 ms per scan here — more than the rest of a commit.
 */
const FIRST_READ = 16 * 1024;
/** Bytes after the end a committer checks for a torn line before appending. */
const TAIL_CHECK = 4096;

/**
 * How the log reads its file: fill `buf` from `position`, return the bytes read (fewer only
 * at the end of the file). Tests pass one that lets "another process" append between two
 * reads of one scan — the interleaving a lock-free reader must survive.
 */
export type PositionalRead = (fd: number, buf: Buffer, position: number) => number;

export class CommitLog {
  readonly file: string;
  #fd: number;
  #ino: number;
  /** Link count of the file as last seen: compaction's rename over the path drops it to 0. */
  #nlink: number;
  readonly #readOnly: boolean;
  readonly #read: PositionalRead;
  /** End of the valid prefix read so far. */
  #offset = 0;
  /** File size as of the last scan or preallocation (only this handle's appends change it under the lock). */
  #size = 0;
  /** The last scan saw at least TAIL_CHECK zero bytes (or the end of file) right at the end: no torn tail to cut. */
  #cleanEnd = false;
  /** Reused read buffer (see FIRST_READ). */
  readonly #scratch = Buffer.allocUnsafe(CHUNK);
  #lastSeq = 0;
  #closed = false;
  #checkpoint: Checkpoint | undefined;
  #generation = 0;
  /** Line offsets of records read or appended, by seq - (checkpoint base) - 1. */
  #lineStarts: number[] = [];
  /** Descriptors of earlier generations, kept open while an fdatasync on them is in flight. */
  readonly #syncing = new Map<number, number>();
  readonly #retired = new Set<number>();
  /** The fdatasync in flight (at most one): the file's generation and the end of the lines it covers. */
  #inflight: { gen: number; upTo: number; done: Promise<void> } | undefined;
  /** Lines of generation `gen` up to `upTo` are durable (a completed fdatasync started after they were written). Generations, not descriptors: a descriptor number is reused after a close. */
  #synced = { gen: -1, upTo: 0 };
  readonly #syncCounts = { inline: 0, pooled: 0 };

  private constructor(file: string, fd: number, readOnly: boolean, read: PositionalRead) {
    this.file = file;
    this.#fd = fd;
    const st = fstatSync(fd);
    this.#ino = st.ino;
    this.#nlink = st.nlink;
    this.#readOnly = readOnly;
    this.#read = read;
  }

  /** Opens (and unless `readOnly`, creates) the log. A missing log read-only is `ENOENT`. */
  static open(file: string, readOnly: boolean, read: PositionalRead = readFully): CommitLog {
    try {
      if (readOnly && !existsSync(file)) throw new StorageError('ENOENT', 'no commit log: not an mvcc-pages store', { path: file });
      // Read-write without O_APPEND (appends overwrite preallocated zeros) and without O_TRUNC.
      return new CommitLog(file, openSync(file, readOnly ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT, 0o644), readOnly, read);
    } catch (error) {
      throw fromNodeError(error, file, 'open commit log');
    }
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get size(): number {
    return this.#offset;
  }

  /** The checkpoint the current file starts with (undefined for a log never compacted). */
  get checkpoint(): Checkpoint | undefined {
    return this.#checkpoint;
  }

  /** Seq the current file starts after: its checkpoint's, else 0. */
  get base(): number {
    return this.#checkpoint?.checkpoint ?? 0;
  }

  /** How many times this handle moved to a newer file (a compaction elsewhere or here). */
  get generation(): number {
    return this.#generation;
  }

  /** Inode of the file this handle reads (compaction checks the log was not switched meanwhile). */
  get inode(): number {
    return this.#ino;
  }

  /** Offset of the line of record `seq` in the current file, or undefined if it is not there (folded into the checkpoint or not read yet). */
  lineStart(seq: number): number | undefined {
    return this.#lineStarts[seq - this.base - 1];
  }

  /** The raw bytes of the valid prefix from `offset` to its end (complete lines). */
  bytesFrom(offset: number): Buffer {
    const buf = Buffer.alloc(this.#offset - offset);
    if (buf.length > 0 && this.#read(this.#fd, buf, offset) !== buf.length) throw new StorageError('ECORRUPT', 'commit log ends early', { path: this.file, offset });
    return buf;
  }

  /**
   * If compaction renamed a new file over the path, moves to it: its records are read from
   * the start by the next scan. The old descriptor is closed once no fdatasync uses it.
   * Returns the file's size when the path still names the same file (else undefined).
   */
  #followSwitch(): number | undefined {
    let ino: number;
    try {
      const st = statSync(this.file);
      ino = st.ino;
      if (ino === this.#ino) {
        this.#nlink = st.nlink; // e.g. someone made a hard link: same file
        return st.size; // same inode: the scan needs no fstat of its own
      }
    } catch {
      return undefined; // the store folder is being removed; keep reading what we have
    }
    let fd: number;
    try {
      fd = openSync(this.file, this.#readOnly ? constants.O_RDONLY : constants.O_RDWR);
    } catch (error) {
      throw fromNodeError(error, this.file, 'open commit log');
    }
    this.#retire(this.#fd);
    this.#fd = fd;
    const st = fstatSync(fd);
    this.#ino = st.ino;
    this.#nlink = st.nlink;
    this.#offset = 0;
    this.#size = 0;
    this.#cleanEnd = false;
    this.#lastSeq = 0;
    this.#checkpoint = undefined;
    this.#lineStarts = [];
    this.#generation += 1;
    return undefined;
  }

  #retire(fd: number): void {
    if (this.#syncing.has(fd)) this.#retired.add(fd);
    else closeSync(fd);
  }

  /**
   * Reads records appended since the last call (by any process). Stops at the end (the
   * first NUL or the end of the file) and before an incomplete or invalid last line; an
   * invalid line with a valid one after it is ECORRUPT.
   *
   * Readers take no lock, so one scan can see a committer's line half written and, in a
   * later read of the same scan, the lines committed after it: a torn line followed by
   * valid ones, which looks like damage. It is not: a later line exists only once the line
   * before it is complete, so a fresh scan sees that line whole. Damage is the same
   * invalid line on two scans in a row.
   *
   * `exact` (the default) looks the path up every time to notice a compaction's switch;
   * anything that appends or decides on the log's contents must use it. `exact: false`
   * (a transaction's `begin`) notices the switch by the file's link count changing (the
   * rename over the path unlinks the old file), which the scan's `fstat` reads anyway:
   * one path lookup less. It misses a switch only if a hard link to the old file was
   * made at the same time (its count is then unchanged), and then only until the next
   * exact read, which every commit does under the lock — a stale snapshot, never a commit
   * appended to the wrong file.
   */
  readNew(exact = true): LoggedRecord[] {
    this.#checkOpen();
    let size: number | undefined;
    if (exact) size = this.#followSwitch();
    else {
      const st = fstatSync(this.#fd);
      size = st.nlink === this.#nlink ? st.size : this.#followSwitch();
    }
    let suspect = -1;
    for (;;) {
      const scan = this.#scan(size);
      size = undefined; // a rescan reads the size again
      if (scan.suspectAt === -1) {
        if (scan.checkpoint !== undefined) {
          this.#checkpoint = scan.checkpoint;
          this.#lastSeq = scan.checkpoint.checkpoint;
        }
        if (scan.records.length > 0) this.#lastSeq = scan.records[scan.records.length - 1]!.seq;
        for (const r of scan.records) this.#lineStarts.push(r.offset);
        this.#offset = scan.end;
        this.#size = scan.size;
        this.#cleanEnd = scan.cleanEnd;
        return scan.records;
      }
      if (scan.suspectAt === suspect) {
        throw new StorageError('ECORRUPT', 'damaged commit record followed by valid ones', { path: this.file, offset: suspect });
      }
      suspect = scan.suspectAt;
    }
  }

  /**
   * One pass from the end of the valid prefix: the complete records, where they end, and
   * the offset of an invalid line that valid lines follow (-1 if none). Changes no state.
   */
  #scan(knownSize?: number): { records: LoggedRecord[]; end: number; suspectAt: number; checkpoint?: Checkpoint; size: number; cleanEnd: boolean } {
    const size = knownSize ?? fstatSync(this.#fd).size;
    if (size < this.#offset) throw new StorageError('ECORRUPT', `commit log shrank below committed records (${size} < ${this.#offset} bytes)`, { path: this.file, offset: size });
    const { buf, nulAt, zerosAtNul } = this.#readToNul(size);
    const records: LoggedRecord[] = [];
    let lastSeq = this.#lastSeq;
    let pos = 0;
    let checkpoint: Checkpoint | undefined;
    if (this.#offset === 0) {
      // A compacted file starts with its checkpoint (written whole before the rename).
      const nl = buf.indexOf(LF);
      checkpoint = nl === -1 ? undefined : parseCheckpoint(buf.subarray(0, nl));
      if (checkpoint !== undefined) {
        lastSeq = checkpoint.checkpoint;
        pos = nl + 1;
      } else if (looksLikeCheckpoint(buf)) {
        // A checkpoint is complete before its file gets the log's name, so it is never a
        // torn tail to cut: a damaged one (or a cut one) is damage, whatever follows it.
        // (A first record starts `{"seq":`, so three bytes tell the two apart.)
        throw new StorageError('ECORRUPT', 'damaged checkpoint at the head of the commit log', { path: this.file, offset: 0 });
      }
    }
    while (pos < buf.length) {
      const nl = buf.indexOf(LF, pos);
      if (nl === -1) break;
      const record = parseLine(buf.subarray(pos, nl), this.#offset + pos, lastSeq);
      if (record === undefined) {
        if (hasValidLineAfter(buf.subarray(nl + 1))) return { records, end: this.#offset + pos, suspectAt: this.#offset + pos, checkpoint, size, cleanEnd: false };
        break;
      }
      records.push(record);
      lastSeq = record.seq;
      pos = nl + 1;
    }
    const end = this.#offset + pos;
    // An unfinished line ended by a NUL is a line being written, or damage: records after
    // the zeros mean damage (a writer never leaves a gap), which must not pass as the end.
    if (pos < buf.length && nulAt !== -1 && this.#validLineAfterNul(nulAt, size)) return { records, end, suspectAt: end, checkpoint, size, cleanEnd: false };
    // What cutTornTail would check, seen already: the zeros start right at the end.
    const cleanEnd = end === size || (nulAt === end && zerosAtNul >= Math.min(TAIL_CHECK, size - end));
    return { records, end, suspectAt: -1, checkpoint, size, cleanEnd };
  }

  #validLineAfterNul(nulAt: number, size: number): boolean {
    const window = Buffer.alloc(Math.min(LOW_WATER, size - nulAt));
    this.#read(this.#fd, window, nulAt);
    return !isZero(window) && hasValidLineAcrossZeros(window);
  }

  /**
   * The bytes from the end of the valid prefix up to the first NUL (or end of file), where
   * that NUL is (-1 if none), and how many zero bytes start there within the read.
   */
  #readToNul(size: number): { buf: Buffer; nulAt: number; zerosAtNul: number } {
    const chunks: Buffer[] = [];
    let nulAt = -1;
    let zerosAtNul = 0;
    let pos = this.#offset;
    let want = FIRST_READ;
    while (pos < size) {
      const buf = this.#scratch.subarray(0, Math.min(want, size - pos));
      want = CHUNK;
      const got = this.#read(this.#fd, buf, pos);
      if (got === 0) break;
      const data = buf.subarray(0, got);
      const nul = data.indexOf(0);
      chunks.push(Buffer.from(data.subarray(0, nul === -1 ? got : nul))); // a copy: the scratch buffer is reused
      if (nul !== -1) {
        nulAt = pos + nul;
        zerosAtNul = zeroRun(data, nul);
        break;
      }
      pos += got;
    }
    return { buf: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), nulAt, zerosAtNul };
  }

  /**
   * Makes the end of the valid prefix writable: a torn line a dead committer left (bytes
   * before the zeros) is overwritten with zeros. If anything after the end holds a valid
   * record, the log is damaged in the middle: ECORRUPT, nothing is touched. Returns the
   * number of bytes cleared. Call only under the commit lock, after `readNew`.
   */
  cutTornTail(): number {
    if (this.#cleanEnd) return 0; // the scan just before saw the zeros start at the end
    const size = fstatSync(this.#fd).size;
    // Common case, one small read: the end is followed by the preallocated zeros. A killed
    // committer's line starts right at the end, so it never hides behind them.
    const window = Buffer.alloc(Math.min(TAIL_CHECK, size - this.#offset));
    this.#read(this.#fd, window, this.#offset);
    if (isZero(window)) return 0;
    const tail = Buffer.alloc(size - this.#offset);
    this.#read(this.#fd, tail, this.#offset);
    // Zeros count as line breaks here, so a record after a run of zeros is found too.
    if (hasValidLineAcrossZeros(tail)) {
      throw new StorageError('ECORRUPT', 'damaged commit record followed by valid ones', { path: this.file, offset: this.#offset });
    }
    let end = tail.length;
    while (end > 0 && tail[end - 1] === 0) end--;
    const zeros = Buffer.alloc(end);
    let done = 0;
    while (done < end) done += writeSync(this.#fd, zeros, done, end - done, this.#offset + done);
    return end;
  }

  /** Appends one record (complete line, one write). Call only under the commit lock, after `readNew` + `cutTornTail`. */
  append(record: CommitRecord): LoggedRecord {
    this.#checkOpen();
    if (record.seq !== this.#lastSeq + 1) throw new StorageError('ECONFLICT', `commit seq ${record.seq} does not follow ${this.#lastSeq}`, { path: this.file });
    const line = encodeLine(record);
    let done = 0;
    while (done < line.length) done += writeSync(this.#fd, line, done, line.length - done, this.#offset + done);
    const logged = { ...record, offset: this.#offset };
    this.#lineStarts.push(this.#offset);
    this.#offset += line.length;
    this.#size = Math.max(this.#size, this.#offset);
    this.#cleanEnd = false;
    this.#lastSeq = record.seq;
    this.#preallocate();
    return logged;
  }

  /** Keeps at least LOW_WATER zero bytes after the last line (written zeros, not holes, so later overwrites allocate nothing). */
  #preallocate(): void {
    // #size is current: the scan under the lock read it, and only appends under the lock grow the file.
    const size = this.#size;
    if (size - this.#offset >= LOW_WATER) return;
    // From the shared zero chunk, not a fresh 1 MiB buffer each time.
    let done = 0;
    while (done < PREALLOC_BYTES) done += writeSync(this.#fd, ZEROS, 0, Math.min(ZEROS.length, PREALLOC_BYTES - done), size + done);
    this.#size = size + PREALLOC_BYTES;
  }

  /**
   * Makes every line this handle appended (or read) before the call durable — and with it
   * every line other processes wrote before those, since an fdatasync covers the file.
   *
   * Group commit within the process: at most one fdatasync per file runs at a time. A
   * caller whose lines an fdatasync already in flight covers (it started after they were
   * written) waits for that one; the others wait for it to end and then share one new
   * fdatasync, which covers everything appended meanwhile. So N commits that arrive while
   * a sync runs cost one more sync, not N.
   *
   * `inline`: when no sync is in flight, run it on the calling thread (`fdatasyncSync`),
   * blocking the event loop for its duration instead of a round trip through the libuv
   * pool (two thread wake-ups, which cost about as much CPU as the rest of a small commit
   * here). The store asks for it only when none of its other transactions is open, so
   * nothing of the store waits behind the blocked loop.
   */
  async sync(inline = false): Promise<void> {
    this.#checkOpen();
    const gen = this.#generation;
    const upTo = this.#offset;
    for (;;) {
      if (this.#synced.gen === gen && this.#synced.upTo >= upTo) return;
      const running = this.#inflight;
      if (running === undefined) break;
      if (running.gen === gen && running.upTo >= upTo) return running.done;
      await running.done.catch(() => undefined); // it started before our lines were written: wait, then sync again
      this.#checkOpen();
    }
    // Now: no sync in flight. Whatever this handle holds now (our lines, possibly a newer generation's) is covered.
    const target = { gen: this.#generation, upTo: this.#offset };
    const fd = this.#fd;
    if (inline) {
      this.#syncCounts.inline += 1;
      fdatasyncSync(fd);
      this.#markSynced(target);
      return;
    }
    this.#syncCounts.pooled += 1;
    const entry = { ...target, done: this.#syncFd(fd).then(() => this.#markSynced(target)) };
    this.#inflight = entry;
    try {
      await entry.done;
    } finally {
      if (this.#inflight === entry) this.#inflight = undefined;
    }
  }

  /** @internal fdatasyncs of the log this handle ran, on the calling thread and in the pool. */
  get syncCounts(): Readonly<{ inline: number; pooled: number }> {
    return this.#syncCounts;
  }

  #markSynced(target: { gen: number; upTo: number }): void {
    if (this.#synced.gen !== target.gen || this.#synced.upTo < target.upTo) this.#synced = target;
  }

  /** One fdatasync in the libuv pool; the descriptor stays open until it is over, even if retired meanwhile. */
  async #syncFd(fd: number): Promise<void> {
    this.#syncing.set(fd, (this.#syncing.get(fd) ?? 0) + 1);
    try {
      await fdatasync(fd);
    } finally {
      const left = this.#syncing.get(fd)! - 1;
      if (left > 0) this.#syncing.set(fd, left);
      else {
        this.#syncing.delete(fd);
        if (this.#retired.delete(fd)) closeSync(fd);
      }
    }
  }

  /** Reads back the record whose line starts at `offset` in the current file. */
  readAt(offset: number): CommitRecord {
    this.#checkOpen();
    if (offset < 0) throw new StorageError('ECORRUPT', 'commit record was compacted', { path: this.file, offset });
    const chunks: Buffer[] = [];
    let pos = offset;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      const n = readSync(this.#fd, buf, 0, buf.length, pos);
      if (n === 0) throw new StorageError('ECORRUPT', 'commit record ends early', { path: this.file, offset });
      const nl = buf.subarray(0, n).indexOf(LF);
      if (nl !== -1) {
        chunks.push(buf.subarray(0, nl));
        break;
      }
      chunks.push(buf.subarray(0, n));
      pos += n;
    }
    const record = parseLine(Buffer.concat(chunks), offset, undefined);
    if (record === undefined) throw new StorageError('ECORRUPT', 'commit record damaged', { path: this.file, offset });
    return record;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
    for (const fd of this.#retired) closeSync(fd);
    this.#retired.clear();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('ECLOSED', 'commit log is closed', { path: this.file });
  }
}

export function readFully(fd: number, buf: Buffer, position: number): number {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** A record from one line (without its LF), or undefined if the line is not a valid record. */
export function parseLine(line: Buffer, offset: number, lastSeq: number | undefined): LoggedRecord | undefined {
  const tab = line.lastIndexOf(TAB);
  if (tab === -1 || line.length - tab !== 9) return undefined;
  const json = line.subarray(0, tab);
  if (line.toString('latin1', tab + 1) !== hex8(crc32c(json))) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  if (lastSeq !== undefined && value.seq !== lastSeq + 1) return undefined;
  return { ...value, offset };
}

const CHECKPOINT_PREFIX = Buffer.from('{"checkpoint":', 'latin1');

function looksLikeCheckpoint(head: Buffer): boolean {
  const n = Math.min(head.length, CHECKPOINT_PREFIX.length);
  return n >= 3 && head.subarray(0, n).equals(CHECKPOINT_PREFIX.subarray(0, n));
}

/** Encodes one line: JSON, TAB, CRC32C of the JSON as 8 hex digits, LF. */
export function encodeLine(value: unknown): Buffer {
  const text = JSON.stringify(value);
  const n = Buffer.byteLength(text, 'utf8');
  const line = Buffer.allocUnsafe(n + 10); // one buffer: the JSON is encoded straight into it
  line.write(text, 0, 'utf8');
  line[n] = TAB;
  line.write(hex8(crc32c(line.subarray(0, n))), n + 1, 'latin1');
  line[n + 9] = LF;
  return line;
}

/** The checkpoint of one line (without its LF), or undefined if the line is not one. */
export function parseCheckpoint(line: Buffer): Checkpoint | undefined {
  const tab = line.lastIndexOf(TAB);
  if (tab === -1 || line.length - tab !== 9) return undefined;
  const json = line.subarray(0, tab);
  if (line.toString('latin1', tab + 1) !== hex8(crc32c(json))) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(c.checkpoint) &&
    (c.checkpoint as number) >= 0 &&
    typeof c.time === 'string' &&
    Array.isArray(c.namespaces) &&
    c.namespaces.every((n: unknown) => {
      const x = n as Record<string, unknown> | null;
      return typeof x === 'object' && x !== null && typeof x.ns === 'string' && Number.isSafeInteger(x.seq) && typeof x.exists === 'boolean';
    }) &&
    Array.isArray(c.pages) &&
    c.pages.every((p: unknown) => {
      const x = p as Record<string, unknown> | null;
      return typeof x === 'object' && x !== null && typeof x.ns === 'string' && Number.isSafeInteger(x.page) && Number.isSafeInteger(x.seq) && Number.isSafeInteger(x.tsn) && typeof x.crc === 'string';
    });
  return ok ? (c as unknown as Checkpoint) : undefined;
}

/** How many zero bytes start at `from` in `buf`, counting up to TAIL_CHECK (all or none of them). */
function zeroRun(buf: Buffer, from: number): number {
  const k = Math.min(TAIL_CHECK, buf.length - from);
  return buf.subarray(from, from + k).equals(ZEROS.subarray(0, k)) ? k : 0;
}

function isZero(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i += CHUNK) {
    const part = buf.subarray(i, i + CHUNK);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

const ZEROS = Buffer.alloc(CHUNK);

function hasValidLineAfter(rest: Buffer): boolean {
  let pos = 0;
  while (pos < rest.length) {
    const nl = rest.indexOf(LF, pos);
    if (nl === -1) return false;
    if (parseLine(rest.subarray(pos, nl), 0, undefined) !== undefined) return true;
    pos = nl + 1;
  }
  return false;
}

/** Like hasValidLineAfter, with zeros counted as line breaks: finds a record after a run of zeros too. */
function hasValidLineAcrossZeros(bytes: Buffer): boolean {
  return hasValidLineAfter(Buffer.from(bytes.map((b) => (b === 0 ? LF : b))));
}

function isRecord(v: unknown): v is CommitRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(r.seq) &&
    Number.isSafeInteger(r.tsn) &&
    typeof r.time === 'string' &&
    isStringArray(r.creates) &&
    isStringArray(r.deletes) &&
    Array.isArray(r.writes) &&
    r.writes.every((w: unknown) => {
      if (typeof w !== 'object' || w === null) return false;
      const x = w as Record<string, unknown>;
      return typeof x.ns === 'string' && Number.isSafeInteger(x.page) && typeof x.crc === 'string' && typeof x.text === 'string';
    })
  );
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
