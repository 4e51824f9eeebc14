import { StorageError, crc32c } from '@store/backend-core';
import { INDEX_HEADER_SIZE, INDEX_MAGIC, FORMAT_VERSION, MAX_ID_BYTES, TOKEN_SIZE, readU64, viewOf, writeU64 } from './format.js';

/** What a persisted index says about the data file it was written for. */
export interface IndexFile {
  token: Uint8Array;
  coveredSize: number;
  dimension: number;
  /** id → offset of the id's live record. */
  offsets: Map<string, number>;
}

/**
 * Encodes the offset index (layout in format.ts). Entries are written in offset order,
 * so a later scan of the data file in the same order touches the disk sequentially.
 */
export function encodeIndex(token: Uint8Array, coveredSize: number, dimension: number, offsets: Map<string, number>): Buffer {
  const entries = [...offsets].sort((a, b) => a[1] - b[1]);
  let size = INDEX_HEADER_SIZE + 4;
  for (const [id] of entries) size += 10 + Buffer.byteLength(id, 'utf8');
  const b = Buffer.alloc(size);
  const v = viewOf(b);
  v.setUint32(0, INDEX_MAGIC, true);
  v.setUint16(4, FORMAT_VERSION, true);
  b.set(token, 8);
  writeU64(v, 24, coveredSize);
  v.setUint32(32, entries.length, true);
  v.setUint32(36, dimension, true);
  let p = INDEX_HEADER_SIZE;
  for (const [id, offset] of entries) {
    writeU64(v, p, offset);
    const n = b.write(id, p + 10, 'utf8');
    v.setUint16(p + 8, n, true);
    p += 10 + n;
  }
  v.setUint32(p, crc32c(b.subarray(0, p)), true);
  return b;
}

/** Parses an index file; `ECORRUPT` with the offending offset if any byte is off. */
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
  const offsets = new Map<string, number>();
  let p = INDEX_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (p + 10 > end) fail('entries run past the end', p);
    const offset = readU64(v, p);
    const n = v.getUint16(p + 8, true);
    if (offset < 0 || offset >= coveredSize || n === 0 || n > MAX_ID_BYTES || p + 10 + n > end) fail('has a bad entry', p);
    offsets.set(b.toString('utf8', p + 10, p + 10 + n), offset);
    p += 10 + n;
  }
  if (p !== end || offsets.size !== count) fail('entry count does not match its length', 32);
  return { token: b.slice(8, 8 + TOKEN_SIZE), coveredSize, dimension: v.getUint32(36, true), offsets };
}
