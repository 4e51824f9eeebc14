import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StorageError, fromNodeError } from '@store/backend-core';
import { SEGMENT_HEADER_SIZE, indexFileName, segmentFileName } from './format.js';
import { RECORD_CORRUPT, RECORD_INCOMPLETE, inspectRecord, recordId } from './record.js';
import { decodeSegmentHeader } from './segment-header.js';
import { SparseIndex } from './sparse-index.js';

/** Where a sealed segment was copied by `archive()`, as recorded in meta.json. */
export interface ArchiveLocation {
  key: string;
  indexKey: string;
  size: number;
  /** CRC32C of the whole segment file, checked when the copy is read back. */
  crc: number;
}

/** The first problem found in a segment: where, and what. */
export interface Damage {
  offset: number;
  reason: string;
}

/**
 * What the log knows about one segment file. The writer updates it as it appends;
 * readers extend it as the file grows.
 */
export class Segment {
  readonly number: number;
  readonly fileName: string;
  readonly indexName: string;
  firstId: number;
  lastId = -1;
  count = 0;
  /** Bytes of the file known to hold valid records (header included). */
  size = SEGMENT_HEADER_SIZE;
  index = new SparseIndex();
  nextIndexOffset = SEGMENT_HEADER_SIZE;
  sealed = false;
  local = true;
  archive: ArchiveLocation | undefined;
  damage: Damage | undefined;
  readFd = -1;
  /** When `readFd` was last used (the log's LRU of open descriptors). */
  fdUsed = 0;

  constructor(number: number, firstId: number) {
    this.number = number;
    this.firstId = firstId;
    this.fileName = segmentFileName(number);
    this.indexName = indexFileName(number);
  }

  /** Records a record of `total` bytes at `offset`, keeping the sparse index. */
  note(id: number, offset: number, total: number, interval: number): void {
    if (offset >= this.nextIndexOffset) {
      this.index.push(id, offset);
      this.nextIndexOffset = offset + interval;
    }
    this.lastId = id;
    this.count++;
    this.size = offset + total;
  }

  /** Forgets everything past the header (before a rescan). */
  reset(): void {
    this.lastId = -1;
    this.count = 0;
    this.size = SEGMENT_HEADER_SIZE;
    this.index = new SparseIndex();
    this.nextIndexOffset = SEGMENT_HEADER_SIZE;
    this.damage = undefined;
  }

  /** Id of the first record (the header's first id when the index is not loaded). */
  firstIdOfRecords(): number {
    return this.index.length > 0 ? this.index.ids[0]! : this.firstId;
  }

  closeReadFd(): void {
    if (this.readFd >= 0) {
      closeSync(this.readFd);
      this.readFd = -1;
    }
  }
}

export interface ScanResult {
  /** Offset just past the last valid record. */
  end: number;
  /** Set when the scan stopped before the end of the file. */
  stop: 'incomplete' | 'corrupt' | undefined;
  reason: string;
}

const SCAN_CHUNK = 1 << 20;

/**
 * Reads `fd` from `seg.size` to `fileSize`, checking every record (checksum, size, ids
 * strictly increasing and not below the header's first id) and noting the valid ones in
 * `seg`. Stops at the first record that is incomplete or wrong.
 */
export function scanSegment(fd: number, seg: Segment, fileSize: number, interval: number): ScanResult {
  let pos = seg.size;
  let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(0, fileSize - pos)) || 1);
  let base = pos;
  let have = 0;
  for (;;) {
    let off = pos - base;
    while (true) {
      const total = inspectRecord(chunk, off, have);
      if (total === RECORD_INCOMPLETE) break;
      if (total === RECORD_CORRUPT) return { end: pos, stop: 'corrupt', reason: 'record header or checksum mismatch' };
      const id = recordId(chunk, off);
      if (id <= seg.lastId || id < seg.firstId) {
        return { end: pos, stop: 'corrupt', reason: `record id ${id} out of order (after ${seg.lastId}, segment starts at ${seg.firstId})` };
      }
      seg.note(id, pos, total, interval);
      pos += total;
      off += total;
    }
    if (base + have >= fileSize) {
      return pos === fileSize ? { end: pos, stop: undefined, reason: '' } : { end: pos, stop: 'incomplete', reason: 'record runs past the end of the file' };
    }
    // Keep the partial record and read more behind it; grow the chunk for a big record.
    const keep = have - off;
    const needed = keep >= 12 ? 16 + chunk.readUInt32BE(off + 8) : SCAN_CHUNK;
    const next = Buffer.allocUnsafe(Math.max(SCAN_CHUNK, Math.min(needed, fileSize - pos)));
    chunk.copy(next, 0, off, have);
    chunk = next;
    base = pos;
    have = keep;
    const want = Math.min(chunk.length - have, fileSize - (base + have));
    const n = readFully(fd, chunk, have, want, base + have);
    have += n;
    if (n < want) fileSize = base + have;
  }
}

/** Writes `bytes[0, length)` at `position`, however many calls the OS wants. */
export function writeFully(fd: number, bytes: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) done += writeSync(fd, bytes, done, length - done, position + done);
}

export function readFully(fd: number, buf: Uint8Array, at: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, at + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Searches past a bad record for any later valid record with an id above `afterId`.
 * Finding one means the damage is in the middle of the data, not a torn tail, and the
 * bytes after it must not be thrown away silently.
 */
export function findValidRecordAfter(fd: number, from: number, fileSize: number, afterId: number): number {
  if (fileSize - from <= 16) return -1;
  const bytes = Buffer.allocUnsafe(fileSize - from);
  const n = readFully(fd, bytes, 0, bytes.length, from);
  const at = findValidRecordIn(bytes.subarray(0, n), 0, afterId);
  return at < 0 ? -1 : from + at;
}

/** The first offset after `from` in `bytes` holding a valid record with an id above `afterId`, or -1. */
export function findValidRecordIn(bytes: Uint8Array, from: number, afterId: number): number {
  for (let p = from + 1; p + 16 <= bytes.length; p++) {
    if (recordId(bytes, p) > afterId && inspectRecord(bytes, p, bytes.length) > 0) return p;
  }
  return -1;
}

/** Opens a segment file and returns its fd, size and header first id. */
export function openSegmentFile(dir: string, name: string, flags: string): { fd: number; size: number; firstId: number } {
  const file = path.join(dir, name);
  let fd: number;
  try {
    fd = openSync(file, flags);
  } catch (error) {
    throw fromNodeError(error, name, 'open segment');
  }
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(SEGMENT_HEADER_SIZE);
    const n = readFully(fd, header, 0, SEGMENT_HEADER_SIZE, 0);
    const firstId = decodeSegmentHeader(header.subarray(0, n), name);
    return { fd, size, firstId };
  } catch (error) {
    closeSync(fd);
    if (error instanceof StorageError) throw error;
    throw fromNodeError(error, name, 'read segment header');
  }
}
