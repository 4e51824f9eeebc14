import { StorageError, crc32c } from '@store/backend-core';
import { OffsetIndex } from './offset-index.js';
import { INDEX_HEADER_SIZE, INDEX_MAGIC, FORMAT_VERSION, MAX_ID_BYTES, TOKEN_SIZE, readU64, viewOf, writeU64 } from './format.js';

/** What a persisted index says about the data file it was written for. */
export interface IndexFile {
  token: Uint8Array;
  coveredSize: number;
  dimension: number;
  /** id → offset of the id's live record. */
  offsets: OffsetIndex;
}

/**
 * Encodes the offset index (layout in format.ts). Entries are written in the in-memory
 * index's order (no sort: writing a million ids costs one pass).
 */
export function encodeIndex(token: Uint8Array, coveredSize: number, dimension: number, offsets: OffsetIndex): Buffer {
  const size = INDEX_HEADER_SIZE + offsets.encodedSize() + 4;
  const b = Buffer.alloc(size);
  const v = viewOf(b);
  v.setUint32(0, INDEX_MAGIC, true);
  v.setUint16(4, FORMAT_VERSION, true);
  b.set(token, 8);
  writeU64(v, 24, coveredSize);
  v.setUint32(32, offsets.size, true);
  v.setUint32(36, dimension, true);
  const p = offsets.encodeEntries(b, INDEX_HEADER_SIZE, (at, offset, n) => {
    writeU64(v, at, offset);
    v.setUint16(at + 8, n, true);
  });
  v.setUint32(p, crc32c(b.subarray(0, p)), true);
  return b;
}

/**
 * Parses an index file; `ECORRUPT` with the offending offset if any byte is off. One CRC32C
 * over the whole file, then one pass over the entries into the typed-array index: the ids
 * stay where they are in `b` (no string per id).
 */
export function decodeIndex(b: Buffer, path: string): IndexFile {
  const fail = (why: string, offset: number): never => {
    throw new StorageError('ECORRUPT', `index ${why}`, { path, offset });
  };
  if (b.length < INDEX_HEADER_SIZE + 4) fail('is truncated', b.length);
  const v = viewOf(b);
  if (v.getUint32(0, true) !== INDEX_MAGIC) fail('has a bad magic', 0);
  const end = b.length - 4;
  if (v.getUint32(end, true) !== crc32c(b.subarray(0, end))) fail('checksum mismatch', end);
  if (v.getUint16(4, true) !== FORMAT_VERSION) fail('has an unsupported version', 4);
  const coveredSize = readU64(v, 24);
  if (coveredSize < 0) fail('covered size is out of range', 24);
  const count = v.getUint32(32, true);
  // Each entry takes at least 11 bytes: a count the file cannot hold is damage, not an allocation.
  if (count > (end - INDEX_HEADER_SIZE) / 11) fail('entry count does not match its length', 32);
  const offsets = new OffsetIndex(count, b, b.length);
  let p = INDEX_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (p + 10 > end) fail('entries run past the end', p);
    const offset = readU64(v, p);
    const n = v.getUint16(p + 8, true);
    if (offset < 0 || offset >= coveredSize || n === 0 || n > MAX_ID_BYTES || p + 10 + n > end) fail('has a bad entry', p);
    if (!offsets.addFromArena(p + 10, n, offset)) fail('has an id twice', p);
    p += 10 + n;
  }
  if (p !== end) fail('entry count does not match its length', 32);
  return { token: b.slice(8, 8 + TOKEN_SIZE), coveredSize, dimension: v.getUint32(36, true), offsets };
}
