import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { StorageError, crc32c, fromNodeError } from '@store/backend-core';
import { fdatasync } from './fs-util.js';

/**
 * The commit log, `.mvcc/commits.log`: one line per committed transaction, appended by
 * whichever process commits (under the commit lock) and read by every process.
 *
 *   <JSON of CommitRecord> TAB <CRC32C of the JSON's UTF-8 bytes, 8 lower-case hex digits> LF
 *
 * JSON never contains a raw TAB or LF, so the split is unambiguous. A line is a commit
 * only when it is complete and its checksum matches; the line is the commit point of its
 * transaction. A writer killed mid-append leaves at most one incomplete line at the end,
 * which readers treat as "not there yet" and the next committer cuts off under the lock.
 * An invalid line followed by a valid one cannot come from a torn append, so it is
 * `ECORRUPT` rather than something to cut.
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

const LF = 0x0a;
const TAB = 0x09;

export class CommitLog {
  readonly file: string;
  readonly #fd: number;
  /** End of the valid prefix read so far. */
  #offset = 0;
  #lastSeq = 0;
  #closed = false;

  private constructor(file: string, fd: number) {
    this.file = file;
    this.#fd = fd;
  }

  /** Opens (and unless `readOnly`, creates) the log. A missing log read-only is `ENOENT`. */
  static open(file: string, readOnly: boolean): CommitLog {
    try {
      if (readOnly && !existsSync(file)) throw new StorageError('ENOENT', 'no commit log: not an mvcc-pages store', { path: file });
      return new CommitLog(file, openSync(file, readOnly ? 'r' : 'a+'));
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

  /**
   * Reads records appended since the last call (by any process). Stops before an
   * incomplete or invalid last line; an invalid line with a valid one after it is ECORRUPT.
   */
  readNew(): LoggedRecord[] {
    this.#checkOpen();
    const size = fstatSync(this.#fd).size;
    if (size < this.#offset) throw new StorageError('ECORRUPT', `commit log shrank below committed records (${size} < ${this.#offset} bytes)`, { path: this.file, offset: size });
    if (size === this.#offset) return [];
    const buf = Buffer.allocUnsafe(size - this.#offset);
    const got = readFully(this.#fd, buf, this.#offset);
    const out: LoggedRecord[] = [];
    let pos = 0;
    while (pos < got) {
      const nl = buf.indexOf(LF, pos);
      if (nl === -1 || nl >= got) break;
      const record = parseLine(buf.subarray(pos, nl), this.#offset + pos, this.#lastSeq);
      if (record === undefined) {
        if (hasValidLineAfter(buf.subarray(nl + 1, got))) {
          throw new StorageError('ECORRUPT', 'damaged commit record followed by valid ones', { path: this.file, offset: this.#offset + pos });
        }
        break;
      }
      out.push(record);
      this.#lastSeq = record.seq;
      pos = nl + 1;
    }
    this.#offset += pos;
    return out;
  }

  /** Bytes after the valid prefix (a torn tail); only meaningful after `readNew`. */
  tailBytes(): number {
    return fstatSync(this.#fd).size - this.#offset;
  }

  /** Cuts a torn tail left by a writer that died. Call only under the commit lock, after `readNew`. */
  cutTornTail(): number {
    const extra = this.tailBytes();
    if (extra > 0) ftruncateSync(this.#fd, this.#offset);
    return extra;
  }

  /** Appends one record (complete line, one write). Call only under the commit lock, after `readNew` + `cutTornTail`. */
  append(record: CommitRecord): LoggedRecord {
    this.#checkOpen();
    if (record.seq !== this.#lastSeq + 1) throw new StorageError('ECONFLICT', `commit seq ${record.seq} does not follow ${this.#lastSeq}`, { path: this.file });
    const json = Buffer.from(JSON.stringify(record), 'utf8');
    const line = Buffer.allocUnsafe(json.length + 10);
    json.copy(line, 0);
    line[json.length] = TAB;
    line.write(hex8(crc32c(json)), json.length + 1, 'latin1');
    line[json.length + 9] = LF;
    let done = 0;
    while (done < line.length) done += writeSync(this.#fd, line, done, line.length - done, this.#offset + done);
    const logged = { ...record, offset: this.#offset };
    this.#offset += line.length;
    this.#lastSeq = record.seq;
    return logged;
  }

  /** fdatasync: every record appended before the call (by any process) is durable after it. */
  async sync(): Promise<void> {
    this.#checkOpen();
    await fdatasync(this.#fd);
  }

  /** Reads back the record whose line starts at `offset`. */
  readAt(offset: number): CommitRecord {
    this.#checkOpen();
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
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError('ECLOSED', 'commit log is closed', { path: this.file });
  }
}

function readFully(fd: number, buf: Buffer, position: number): number {
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
