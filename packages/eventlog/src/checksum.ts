import { crc32c } from '@store/backend-core';

/**
 * CRC32C over a byte range. Long ranges go to the native implementation (hardware CRC
 * through @node-rs/crc32); short ones are computed here with slicing-by-16 tables,
 * because for a 100-byte event the cost of one native call plus the `subarray` it needs
 * is about three times the cost of the checksum itself (measured, see README).
 */
const NATIVE_THRESHOLD = 512;

export const TABLE = buildTable();

function buildTable(): Int32Array {
  const t = new Int32Array(256 * 16);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 16; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/**
 * CRC32C of `bytes[start, end)`, continuing from `initial` (0 for a fresh checksum).
 * `view` must be a DataView over the same memory as `bytes` (callers keep one per buffer,
 * so no allocation happens per record).
 */
export function crc32cRange(view: DataView, bytes: Uint8Array, start: number, end: number, initial: number): number {
  if (end - start >= NATIVE_THRESHOLD) return crc32c(bytes.subarray(start, end), initial);
  const T = TABLE;
  let crc = ~initial;
  let i = start;
  const end16 = end - ((end - start) & 15);
  for (; i < end16; i += 16) {
    const a = view.getInt32(i, true) ^ crc;
    const b = view.getInt32(i + 4, true);
    const c = view.getInt32(i + 8, true);
    const d = view.getInt32(i + 12, true);
    crc =
      T[3840 + (a & 0xff)]! ^ T[3584 + ((a >>> 8) & 0xff)]! ^ T[3328 + ((a >>> 16) & 0xff)]! ^ T[3072 + (a >>> 24)]! ^
      T[2816 + (b & 0xff)]! ^ T[2560 + ((b >>> 8) & 0xff)]! ^ T[2304 + ((b >>> 16) & 0xff)]! ^ T[2048 + (b >>> 24)]! ^
      T[1792 + (c & 0xff)]! ^ T[1536 + ((c >>> 8) & 0xff)]! ^ T[1280 + ((c >>> 16) & 0xff)]! ^ T[1024 + (c >>> 24)]! ^
      T[768 + (d & 0xff)]! ^ T[512 + ((d >>> 8) & 0xff)]! ^ T[256 + ((d >>> 16) & 0xff)]! ^ T[d >>> 24]!;
  }
  if (end - i >= 8) {
    const a = view.getInt32(i, true) ^ crc;
    const b = view.getInt32(i + 4, true);
    crc =
      T[1792 + (a & 0xff)]! ^ T[1536 + ((a >>> 8) & 0xff)]! ^ T[1280 + ((a >>> 16) & 0xff)]! ^ T[1024 + (a >>> 24)]! ^
      T[768 + (b & 0xff)]! ^ T[512 + ((b >>> 8) & 0xff)]! ^ T[256 + ((b >>> 16) & 0xff)]! ^ T[b >>> 24]!;
    i += 8;
  }
  if (end - i >= 4) {
    const a = view.getInt32(i, true) ^ crc;
    crc = T[768 + (a & 0xff)]! ^ T[512 + ((a >>> 8) & 0xff)]! ^ T[256 + ((a >>> 16) & 0xff)]! ^ T[a >>> 24]!;
    i += 4;
  }
  for (; i < end; i++) crc = T[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The record checksum: CRC32C over id and size (record bytes 0..11), then the data. */
export function recordCrc(view: DataView, bytes: Uint8Array, recordStart: number, dataLength: number): number {
  const head = crc32cRange(view, bytes, recordStart, recordStart + 12, 0);
  return crc32cRange(view, bytes, recordStart + 16, recordStart + 16 + dataLength, head);
}
