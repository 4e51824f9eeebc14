/**
 * Self-describing file contents for the concurrency and crash cases. A version is
 * 16 header bytes (`CNF1`, file index, version, total length, all u32 BE) followed by
 * bytes from a PRNG seeded with (index, version), so any bytes read back can be
 * matched against exactly one version, and a mix or truncation of two cannot pass.
 */
const HEADER = 16;
const MAGIC = 0x434e4631; // "CNF1"

export function versionBytes(index: number, version: number, length: number): Uint8Array {
  const total = Math.max(HEADER, length);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, index);
  view.setUint32(8, version);
  view.setUint32(12, total);
  let state = (Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(version + 1, 0x85ebca6b)) >>> 0 || 1;
  for (let i = HEADER; i < total; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** The (index, version) these bytes claim to be, or undefined if they are not a whole version. */
export function identify(bytes: Uint8Array): { index: number; version: number } | undefined {
  if (bytes.byteLength < HEADER) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== MAGIC) return undefined;
  const index = view.getUint32(4);
  const version = view.getUint32(8);
  if (view.getUint32(12) !== bytes.byteLength) return undefined;
  const expected = versionBytes(index, version, bytes.byteLength);
  return Buffer.from(expected).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) ? { index, version } : undefined;
}

/** A small seeded PRNG for sizes and delays, so a failing run can be repeated. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 0x2545f491;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}
