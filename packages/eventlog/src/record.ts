import { recordCrc } from './checksum.js';
import { MAX_RECORD_DATA, RECORD_HEADER_SIZE, readU32, readU64, writeU32, writeU64 } from './format.js';

/** `inspectRecord` results besides a positive record length. */
export const RECORD_INCOMPLETE = 0;
export const RECORD_CORRUPT = -1;

/**
 * Checks the record starting at `offset` within `bytes[0, end)`. Returns its total length
 * (header + data) when the checksum holds, `RECORD_INCOMPLETE` when the bytes stop before
 * the record does, `RECORD_CORRUPT` when the header or the checksum is wrong.
 */
export function inspectRecord(bytes: Uint8Array, offset: number, end: number): number {
  if (end - offset < RECORD_HEADER_SIZE) return RECORD_INCOMPLETE;
  if (readU32(bytes, offset) > 0x1f_ffff) return RECORD_CORRUPT;
  const size = readU32(bytes, offset + 8);
  if (size > MAX_RECORD_DATA) return RECORD_CORRUPT;
  const total = RECORD_HEADER_SIZE + size;
  if (end - offset < total) return RECORD_INCOMPLETE;
  if (recordCrc(bytes, offset, size) !== readU32(bytes, offset + 12)) return RECORD_CORRUPT;
  return total;
}

export function recordId(bytes: Uint8Array, offset: number): number {
  return readU64(bytes, offset);
}

export function recordSize(bytes: Uint8Array, offset: number): number {
  return readU32(bytes, offset + 8);
}

/** Writes id and size; the checksum is filled in later by `sealRecord`. */
export function writeRecordHeader(bytes: Uint8Array, offset: number, id: number, size: number): void {
  writeU64(bytes, offset, id);
  writeU32(bytes, offset + 8, size);
}

/** Computes and stores the checksum of a record whose header and data are in place. */
export function sealRecord(bytes: Uint8Array, offset: number): void {
  const size = readU32(bytes, offset + 8);
  writeU32(bytes, offset + 12, recordCrc(bytes, offset, size));
}
