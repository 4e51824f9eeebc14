import { crc32cRange } from '@store/backend-core';

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The record checksum: CRC32C over id and size (record bytes 0..11), then the data.
 * backend-core computes short ranges with a JavaScript table, which beats a native call
 * for 100-byte events; whole buffers of records go through wasm-crc.ts instead.
 */
export function recordCrc(bytes: Uint8Array, recordStart: number, dataLength: number): number {
  const head = crc32cRange(bytes, recordStart, recordStart + 12);
  return crc32cRange(bytes, recordStart + 16, recordStart + 16 + dataLength, head);
}
