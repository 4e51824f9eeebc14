import { StorageError, crc32c } from '@store/backend-core';
import { FORMAT_VERSION, INDEX_ENTRY_SIZE, INDEX_HEADER_SIZE, INDEX_MAGIC, readU32, readU64, writeU32, writeU64 } from './format.js';

/** What an index file says about the segment bytes it covers. */
export interface IndexSummary {
  firstId: number;
  coveredSize: number;
  lastId: number;
  count: number;
  interval: number;
}

/**
 * Sparse index of one segment: the id and byte offset of the first record at or after
 * every `interval` bytes. A lookup is a binary search to the block holding an id, so a
 * `get` reads one block and never scans the segment.
 */
export class SparseIndex {
  ids: Float64Array;
  /** Segment offsets fit 32 bits (segments stay below 4 GiB). */
  offsets: Uint32Array;
  length = 0;

  constructor(capacity = 64) {
    this.ids = new Float64Array(capacity);
    this.offsets = new Uint32Array(capacity);
  }

  push(id: number, offset: number): void {
    if (this.length === this.ids.length) {
      const ids = new Float64Array(this.length * 2);
      ids.set(this.ids);
      this.ids = ids;
      const offsets = new Uint32Array(this.length * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    this.ids[this.length] = id;
    this.offsets[this.length] = offset;
    this.length++;
  }

  /** Drops entries at or past `offset` (after a truncation). */
  truncate(offset: number): void {
    while (this.length > 0 && this.offsets[this.length - 1]! >= offset) this.length--;
  }

  /**
   * Index of the last entry whose id is ≤ `id`, or -1 if `id` precedes every entry.
   * Ids grow almost linearly with the offset, so one interpolation lands within a few
   * entries of the answer; galloping out from there brackets it, and a binary search
   * finishes inside the bracket. A plain binary search over a large index would cost a
   * cache miss per level; this costs a few neighbouring reads, and stays O(log n) at worst.
   */
  floor(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = this.length - 1;
    if (hi < 0 || id < ids[0]!) return -1;
    if (id >= ids[hi]!) return hi;
    // Invariant from here on: ids[lo] <= id < ids[hi].
    if (hi - lo > 1) {
      const a = ids[lo]!;
      const guess = Math.min(hi - 1, Math.max(lo + 1, lo + Math.floor(((id - a) / (ids[hi]! - a)) * (hi - lo))));
      if (ids[guess]! <= id) {
        lo = guess;
        for (let step = 1; lo + step < hi; step *= 2) {
          if (ids[lo + step]! > id) {
            hi = lo + step;
            break;
          }
          lo += step;
        }
      } else {
        hi = guess;
        for (let step = 1; hi - step > lo; step *= 2) {
          if (ids[hi - step]! <= id) {
            lo = hi - step;
            break;
          }
          hi -= step;
        }
      }
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! <= id) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  encode(summary: IndexSummary): Uint8Array {
    const size = INDEX_HEADER_SIZE + this.length * INDEX_ENTRY_SIZE + 4;
    const b = new Uint8Array(size);
    writeU32(b, 0, INDEX_MAGIC);
    b[4] = FORMAT_VERSION >>> 8;
    b[5] = FORMAT_VERSION & 0xff;
    writeU64(b, 8, summary.firstId);
    writeU64(b, 16, summary.coveredSize);
    writeU64(b, 24, Math.max(0, summary.lastId));
    writeU64(b, 32, summary.count);
    writeU32(b, 40, this.length);
    writeU32(b, 44, summary.interval);
    let p = INDEX_HEADER_SIZE;
    for (let i = 0; i < this.length; i++) {
      writeU64(b, p, this.ids[i]!);
      writeU32(b, p + 8, this.offsets[i]!);
      p += INDEX_ENTRY_SIZE;
    }
    writeU32(b, p, crc32c(b.subarray(0, p)));
    return b;
  }

  /** Parses an index file; `ECORRUPT` (with the offending offset) if any byte is off. */
  static decode(bytes: Uint8Array, path: string): { index: SparseIndex; summary: IndexSummary } {
    const fail = (why: string, offset: number): never => {
      throw new StorageError('ECORRUPT', `index ${why}`, { path, offset });
    };
    if (bytes.length < INDEX_HEADER_SIZE + 4) fail('is truncated', bytes.length);
    if (readU32(bytes, 0) !== INDEX_MAGIC) fail('has a bad magic', 0);
    const entries = readU32(bytes, 40);
    const end = INDEX_HEADER_SIZE + entries * INDEX_ENTRY_SIZE;
    if (bytes.length !== end + 4) fail(`length ${bytes.length} does not match ${entries} entries`, 40);
    if (readU32(bytes, end) !== crc32c(bytes.subarray(0, end))) fail('checksum mismatch', end);
    if (((bytes[4]! << 8) | bytes[5]!) !== FORMAT_VERSION) fail('has an unsupported version', 4);
    const summary: IndexSummary = {
      firstId: readU64(bytes, 8),
      coveredSize: readU64(bytes, 16),
      lastId: readU64(bytes, 24),
      count: readU64(bytes, 32),
      interval: readU32(bytes, 44),
    };
    if (summary.firstId < 0 || summary.coveredSize < 0 || summary.lastId < 0 || summary.count < 0) fail('has an out-of-range field', 8);
    if (summary.count === 0) summary.lastId = -1;
    const index = new SparseIndex(Math.max(64, entries));
    let p = INDEX_HEADER_SIZE;
    let prevId = -1;
    let prevOffset = -1;
    for (let i = 0; i < entries; i++) {
      const id = readU64(bytes, p);
      const offset = readU32(bytes, p + 8);
      if (id <= prevId || offset <= prevOffset || offset >= summary.coveredSize) fail('entries are out of order', p);
      index.push(id, offset);
      prevId = id;
      prevOffset = offset;
      p += INDEX_ENTRY_SIZE;
    }
    return { index, summary };
  }
}
