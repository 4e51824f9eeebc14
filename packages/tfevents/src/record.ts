import { crc32cRange } from '@store/backend-core';
import { maskedCrc32cRange, maskedLengthCrc, writeU64LE } from './crc.js';
import { FOOTER_BYTES, HEADER_BYTES, MAX_PAYLOAD_BYTES, RECORD_OVERHEAD } from './format.js';
import { maskCrc32c } from '@store/backend-core';

/** TFRecord framing (layout in format.ts). */

/**
 * Frames a payload that has already been written at `buf[start + 12, start + 12 + length)`:
 * fills in the length, its masked CRC and the payload's masked CRC.
 */
export function frameInPlace(buf: Buffer, start: number, length: number): number {
  writeU64LE(buf, start, length);
  putU32(buf, start + 8, maskedLengthCrc(length));
  const payloadStart = start + HEADER_BYTES;
  putU32(buf, payloadStart + length, maskedCrc32cRange(buf, payloadStart, payloadStart + length));
  return payloadStart + length + FOOTER_BYTES;
}

/** One framed record holding `payload`. */
export function encodeRecord(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + RECORD_OVERHEAD);
  out.set(payload, HEADER_BYTES);
  frameInPlace(out, 0, payload.length);
  return out;
}

export const RECORD_OK = 0;
/** Not enough bytes yet: the record is incomplete (a torn tail, or a file still being written). */
export const RECORD_INCOMPLETE = 1;
/** The length field fails its CRC (or is absurd): the record boundary is unknown. */
export const RECORD_BAD_LENGTH = 2;
/** The payload fails its CRC: the record can be skipped, its length is trustworthy. */
export const RECORD_BAD_DATA = 3;

export interface RecordSpan {
  payloadStart: number;
  payloadEnd: number;
  /** Position just after the record (valid for OK and BAD_DATA). */
  next: number;
  /** Bytes needed from `pos` to complete the record (valid for INCOMPLETE). */
  needed: number;
}

/** Examines the record at `buf[pos..end)`; fills `span` and returns a RECORD_* status. */
export function parseRecord(buf: Buffer, pos: number, end: number, span: RecordSpan): number {
  if (end - pos < HEADER_BYTES) {
    span.needed = HEADER_BYTES;
    return RECORD_INCOMPLETE;
  }
  const lo = u32(buf, pos);
  const hi = u32(buf, pos + 4);
  const storedLengthCrc = u32(buf, pos + 8);
  const expected = hi === 0 && lo < 0x10000 ? maskedLengthCrc(lo) : maskCrc32c(crc32cRange(buf, pos, pos + 8));
  if (storedLengthCrc !== expected) return RECORD_BAD_LENGTH;
  if (hi !== 0 || lo > MAX_PAYLOAD_BYTES) return RECORD_BAD_LENGTH;
  const total = lo + RECORD_OVERHEAD;
  if (end - pos < total) {
    span.needed = total;
    return RECORD_INCOMPLETE;
  }
  const payloadStart = pos + HEADER_BYTES;
  const payloadEnd = payloadStart + lo;
  span.payloadStart = payloadStart;
  span.payloadEnd = payloadEnd;
  span.next = pos + total;
  if (u32(buf, payloadEnd) !== maskedCrc32cRange(buf, payloadStart, payloadEnd)) return RECORD_BAD_DATA;
  return RECORD_OK;
}

/** True if a record header with a valid length CRC starts at `pos`. */
export function validHeaderAt(buf: Buffer, pos: number, end: number): boolean {
  if (end - pos < HEADER_BYTES) return false;
  return buf.readUInt32LE(pos + 8) === maskCrc32c(crc32cRange(buf, pos, pos + 8)) && buf.readUInt32LE(pos + 4) === 0 && buf.readUInt32LE(pos) <= MAX_PAYLOAD_BYTES;
}

/** Little-endian u32 without Buffer's argument checks (callers guarantee the bounds). */
function u32(buf: Buffer, pos: number): number {
  return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
}

function putU32(buf: Buffer, pos: number, value: number): void {
  buf[pos] = value;
  buf[pos + 1] = value >>> 8;
  buf[pos + 2] = value >>> 16;
  buf[pos + 3] = value >>> 24;
}
