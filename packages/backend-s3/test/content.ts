import fc from 'fast-check';

/**
 * Self-describing test payloads: a 16-byte header (magic, writer, version, length) and
 * bytes derived from all three, so a torn, mixed or truncated object cannot pass for a
 * version and the version it came from can be named.
 */
const MAGIC = 0x53335731; // 'S3W1'

export function payload(writer: number, version: number, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, 16));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, writer);
  view.setUint32(8, version);
  view.setUint32(12, out.length);
  let x = (writer * 0x9e3779b1 + version * 0x85ebca6b + 1) >>> 0;
  for (let i = 16; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The writer and version of a payload, or undefined if the bytes are not exactly one payload. */
export function identify(bytes: Uint8Array): { writer: number; version: number } | undefined {
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== MAGIC || view.getUint32(12) !== bytes.length) return undefined;
  const writer = view.getUint32(4);
  const version = view.getUint32(8);
  return Buffer.from(payload(writer, version, bytes.length)).equals(Buffer.from(bytes)) ? { writer, version } : undefined;
}

/**
 * Strings of any Unicode scalar values (every plane, controls included, no lone surrogates).
 * Built from code points because fast-check's `unit: 'binary'` strings are very slow to generate.
 */
export function anyText(maxLength: number): fc.Arbitrary<string> {
  const scalar = fc.oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0x10ffff }),
  );
  return fc.array(scalar, { minLength: 1, maxLength }).map((points) => String.fromCodePoint(...points));
}
