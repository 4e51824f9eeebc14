import { readSync } from 'node:fs';
import { StorageError } from '@store/backend-core';
import { MAX_DATA_SIZE, RECORD_HEADER_SIZE, RECORD_MAGIC, parseRecord, pad8, viewOf, type RecordFields } from './format.js';

/** Default bytes per sequential read: large enough that syscalls cost nothing beside the copy. */
export const SCAN_CHUNK = 4 * 1024 * 1024;

/**
 * A read buffer whose bytes start 8-aligned in their ArrayBuffer, so values of a record
 * read at an 8-aligned file offset can be viewed as a Float32Array in place.
 */
export class ChunkBuffer {
  bytes: Buffer;
  view: DataView;

  constructor(size: number) {
    this.bytes = Buffer.from(new ArrayBuffer(pad8(size)));
    this.view = viewOf(this.bytes);
  }

  ensure(size: number): void {
    if (this.bytes.length >= size) return;
    this.bytes = Buffer.from(new ArrayBuffer(pad8(Math.max(size, this.bytes.length * 2))));
    this.view = viewOf(this.bytes);
  }
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
export function readFully(fd: number, into: Uint8Array, offset: number, length: number, position: number, path: string): number {
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(fd, into, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch (cause) {
    throw new StorageError('EIO', `read failed: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { path, offset: position + done, cause });
  }
  return done;
}

export interface RecordVisitor {
  /** A valid record at file offset `offset`, parsed at `b[p, p + f.size)`. */
  record(b: Buffer, v: DataView, p: number, f: RecordFields, offset: number): void;
  /**
   * Damage at `offset`. `resumeAt` is the next valid record after it, or undefined if none
   * follows (a torn tail). Return true to skip to `resumeAt`, false to stop at `offset`.
   */
  problem(offset: number, reason: string, resumeAt: number | undefined): boolean;
}

/**
 * Walks the records of `fd` in `[from, to)` in large sequential reads, checking each one's
 * checksum, and returns the offset where it stopped (`to` unless a problem stopped it).
 */
export function scanRecords(fd: number, from: number, to: number, path: string, visitor: RecordVisitor, given?: ChunkBuffer): number {
  if (from >= to) return from;
  // No bigger than the bytes to scan: an open whose index covers all but a few records, or a refresh, reads little.
  const chunk = given ?? new ChunkBuffer(Math.min(SCAN_CHUNK, Math.max(64 * 1024, to - from)));
  let pos = from;
  while (pos < to) {
    const want = Math.min(chunk.bytes.length, to - pos);
    const n = readFully(fd, chunk.bytes, 0, want, pos, path);
    if (n < want) to = pos + n; // the file shrank under us (a reader beside a compaction): stop at its end
    const b = chunk.bytes;
    const v = chunk.view;
    let p = 0;
    let badAt = -1;
    let badReason = '';
    while (p < n) {
      const r = parseRecord(b, v, p, n);
      if (r.ok) {
        visitor.record(b, v, p, r.fields, pos + p);
        p += r.fields.size;
        continue;
      }
      if (r.need !== undefined && pos + p + r.need <= to) {
        // The record continues past this chunk but inside the file: read again from it.
        if (p === 0) chunk.ensure(r.need);
        break;
      }
      badAt = pos + p;
      badReason = r.reason;
      break;
    }
    if (badAt < 0) {
      pos += p;
      continue;
    }
    const resumeAt = findValidRecordAfter(fd, badAt + 8, to, path);
    if (!visitor.problem(badAt, badReason, resumeAt) || resumeAt === undefined) return badAt;
    pos = resumeAt;
  }
  return pos;
}

/**
 * The offset of the first valid record at an 8-aligned offset in `[from, to)`, or undefined.
 * Tells a torn tail (nothing valid follows) from damage in the middle of the file.
 */
export function findValidRecordAfter(fd: number, from: number, to: number, path: string): number | undefined {
  const window = new ChunkBuffer(1024 * 1024);
  const probe = new ChunkBuffer(64 * 1024);
  let pos = pad8(from);
  while (pos + RECORD_HEADER_SIZE <= to) {
    const n = readFully(fd, window.bytes, 0, Math.min(window.bytes.length, to - pos), pos, path);
    for (let p = 0; p + RECORD_HEADER_SIZE <= n; p += 8) {
      if (window.view.getUint32(p, true) !== RECORD_MAGIC) continue;
      const at = pos + p;
      const dataSize = window.view.getUint32(p + 20, true);
      const size = RECORD_HEADER_SIZE + dataSize;
      if (dataSize > MAX_DATA_SIZE || at + size > to) continue;
      probe.ensure(size);
      const got = readFully(fd, probe.bytes, 0, Math.min(size, probe.bytes.length), at, path);
      if (parseRecord(probe.bytes, probe.view, 0, got).ok) return at;
    }
    if (n < RECORD_HEADER_SIZE) break;
    pos += n - (n % 8) - RECORD_HEADER_SIZE + 8;
  }
  return undefined;
}
