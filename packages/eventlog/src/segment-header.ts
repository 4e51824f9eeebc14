import { StorageError, crc32c } from '@store/backend-core';
import { FORMAT_VERSION, SEGMENT_HEADER_SIZE, SEGMENT_MAGIC, readU32, readU64, writeU32, writeU64 } from './format.js';

export function encodeSegmentHeader(firstId: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  writeU32(b, 0, SEGMENT_MAGIC);
  b.writeUInt16BE(FORMAT_VERSION, 4);
  b.writeUInt16BE(0, 6);
  writeU64(b, 8, firstId);
  writeU32(b, 16, crc32c(b.subarray(0, 16)));
  return b;
}

/** The first id recorded in a segment header; `ECORRUPT` naming the file otherwise. */
export function decodeSegmentHeader(bytes: Uint8Array, path: string): number {
  if (bytes.length < SEGMENT_HEADER_SIZE) {
    throw new StorageError('ECORRUPT', `segment header is truncated (${bytes.length} of ${SEGMENT_HEADER_SIZE} bytes)`, { path, offset: 0 });
  }
  if (readU32(bytes, 0) !== SEGMENT_MAGIC) throw new StorageError('ECORRUPT', 'not an event log segment (bad magic)', { path, offset: 0 });
  if (readU32(bytes, 16) !== crc32c(bytes.subarray(0, 16))) {
    throw new StorageError('ECORRUPT', 'segment header checksum mismatch', { path, offset: 16 });
  }
  const version = (bytes[4]! << 8) | bytes[5]!;
  if (version !== FORMAT_VERSION) throw new StorageError('ECORRUPT', `unsupported segment format version ${version}`, { path, offset: 4 });
  const firstId = readU64(bytes, 8);
  if (firstId < 0) throw new StorageError('ECORRUPT', 'segment first id out of range', { path, offset: 8 });
  return firstId;
}
