import { crc32cRange, maskCrc32c } from '@store/backend-core';

// Record checksums use backend-core's crc32cRange, which computes short records (most
// events are 30–60 bytes) with a JavaScript table instead of a native call.

export function maskedCrc32cRange(buf: Uint8Array, start: number, end: number): number {
  return maskCrc32c(crc32cRange(buf, start, end));
}

/** Masked CRCs of the 8-byte little-endian length field, cached for the lengths events use. */
const LENGTH_CACHE_SIZE = 1 << 16;
const lengthCache = new Float64Array(LENGTH_CACHE_SIZE).fill(-1);
const lengthScratch = new Uint8Array(8);

export function maskedLengthCrc(length: number): number {
  if (length < LENGTH_CACHE_SIZE) {
    const cached = lengthCache[length]!;
    if (cached >= 0) return cached;
  }
  writeU64LE(lengthScratch, 0, length);
  const masked = maskCrc32c(crc32cRange(lengthScratch, 0, 8));
  if (length < LENGTH_CACHE_SIZE) lengthCache[length] = masked;
  return masked;
}

export function writeU64LE(buf: Uint8Array, pos: number, value: number): void {
  const lo = value >>> 0;
  const hi = Math.floor(value / 0x100000000) >>> 0;
  buf[pos] = lo;
  buf[pos + 1] = lo >>> 8;
  buf[pos + 2] = lo >>> 16;
  buf[pos + 3] = lo >>> 24;
  buf[pos + 4] = hi;
  buf[pos + 5] = hi >>> 8;
  buf[pos + 6] = hi >>> 16;
  buf[pos + 7] = hi >>> 24;
}
