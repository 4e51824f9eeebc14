import { StorageError } from '@store/backend-core';

/**
 * Every on-disk layout of the event log, written once. The README documents the same
 * bytes with a hex example; keep the two in step.
 *
 * Segment file `events-NNNNNNNN.log`:
 *   header (20 bytes)
 *     0  magic        4 bytes  "EVLG"
 *     4  version      u16 BE   1
 *     6  flags        u16 BE   0 (reserved)
 *     8  first id     u64 BE   id the segment starts at
 *    16  header crc   u32 BE   CRC32C of bytes 0..15
 *   records, back to back
 *     0  id           u64 BE
 *     8  size         u32 BE   length of data
 *    12  crc          u32 BE   CRC32C over id, size and data (bytes 0..11, then data)
 *    16  data         size bytes
 *
 * Index file `events-NNNNNNNN.idx` (sparse: one entry per `indexInterval` bytes of log):
 *     0  magic        4 bytes  "EVIX"
 *     4  version      u16 BE   1
 *     6  reserved     u16 BE   0
 *     8  first id     u64 BE   the segment header's first id
 *    16  covered size u64 BE   segment bytes this index describes (stale if the log differs)
 *    24  last id      u64 BE   id of the last record (meaningless when count is 0)
 *    32  count        u64 BE   records in the covered bytes
 *    40  entries      u32 BE
 *    44  interval     u32 BE
 *    48  entries × 12 [id u64 BE][offset u32 BE]
 *     …  crc          u32 BE   CRC32C of everything before it
 */
export const SEGMENT_MAGIC = 0x45564c47; // "EVLG"
export const INDEX_MAGIC = 0x45564958; // "EVIX"
export const FORMAT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 20;
export const RECORD_HEADER_SIZE = 16;
export const INDEX_HEADER_SIZE = 48;
export const INDEX_ENTRY_SIZE = 12;

/** Offsets are stored as u32 in the index, so one segment stays below 4 GiB. */
export const MAX_SEGMENT_SIZE = 0xffff_ffff;
/** A record never exceeds this; a larger size field is corruption, not a huge event. */
export const MAX_RECORD_DATA = 256 * 1024 * 1024;
/** Ids are u64 on disk but JavaScript numbers in the API: they must stay exact. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

export const DEFAULT_MAX_FILE_SIZE = 512 * 1024 * 1024;
export const DEFAULT_WRITE_BUFFER_SIZE = 64 * 1024;
/**
 * 1 KiB: a random `get` reads one block of about this size. Measured on a 10 M-event log:
 * 1 KiB blocks ~310–330 k gets/s, 4 KiB blocks ~200–220 k/s (a 4 KiB pread costs markedly more
 * than a 1 KiB one). The price is memory: 12 bytes of index per KiB of log (~1.2 %).
 */
export const DEFAULT_INDEX_INTERVAL = 1024;
export const DEFAULT_BLOCK_CACHE_SIZE = 32 * 1024 * 1024;

export const META_FILE = 'meta.json';
export const LOCK_FILE = 'writer.lock';
export const META_VERSION = 1;

const SEGMENT_NAME = /^events-(\d{8})\.log$/;

export function segmentFileName(n: number): string {
  return `events-${String(n).padStart(8, '0')}.log`;
}

export function indexFileName(n: number): string {
  return `events-${String(n).padStart(8, '0')}.idx`;
}

/** The segment number of a file name, or undefined for any other file. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m === null ? undefined : Number(m[1]);
}

const TWO_32 = 0x1_0000_0000;

export function writeU64(buf: Uint8Array, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  const lo = value >>> 0;
  buf[offset] = hi >>> 24;
  buf[offset + 1] = hi >>> 16;
  buf[offset + 2] = hi >>> 8;
  buf[offset + 3] = hi;
  buf[offset + 4] = lo >>> 24;
  buf[offset + 5] = lo >>> 16;
  buf[offset + 6] = lo >>> 8;
  buf[offset + 7] = lo;
}

export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = value >>> 16;
  buf[offset + 2] = value >>> 8;
  buf[offset + 3] = value;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

/** A u64, or -1 when it does not fit a safe integer (the caller reports corruption). */
export function readU64(buf: Uint8Array, offset: number): number {
  const hi = readU32(buf, offset);
  if (hi > 0x1f_ffff) return -1;
  return hi * TWO_32 + readU32(buf, offset + 4);
}

export function checkId(id: number, field: string): void {
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new StorageError('EINVAL', `${field} must be a non-negative safe integer, got ${String(id)}`, { field });
  }
}
