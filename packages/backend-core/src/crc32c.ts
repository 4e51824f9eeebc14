import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC32C (Castagnoli) over @node-rs/crc32, which uses SSE4.2/ARMv8 CRC instructions.
 * Pass the previous result as `initial` to checksum data that arrives in pieces.
 */
export function crc32c(data: Uint8Array, initial = 0): number {
  return nativeCrc32c(asBuffer(data), initial) >>> 0;
}

const MASK_DELTA = 0xa282ead8;

/**
 * The "masked" CRC used by TFRecord and LevelDB framing: rotating and adding a constant
 * keeps a CRC stored inside the data it covers from checksumming to a trivial value.
 */
export function maskCrc32c(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

export function unmaskCrc32c(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc32c(crc32c(data));
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
