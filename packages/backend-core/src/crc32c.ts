import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC32C (Castagnoli). Long inputs go to @node-rs/crc32 (hardware CRC instructions);
 * short ones are computed here with slicing-by-16 tables, because one call into native
 * code costs more than the whole checksum of a typical 16–256 byte record
 * (`bench/crc32c.bench.ts`: the table is ~9x faster at 16 bytes, 2.3x at 128, even around
 * 256–512 depending on the run, and slower beyond). Both paths give identical results
 * (property-tested at every length across the switch).
 */
const NATIVE_MIN_BYTES = 384;

const TABLE = buildTable();

/**
 * The slicing tables (16 × 256 entries; table k at offset 256·k), for code that computes
 * CRC32C in another runtime such as WebAssembly and must not build its own.
 */
export const CRC32C_TABLE: Readonly<Int32Array> = TABLE;

function buildTable(): Int32Array {
  const t = new Int32Array(16 * 256);
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

/** CRC32C of `data`; pass the previous result as `initial` to checksum data that arrives in pieces. */
export function crc32c(data: Uint8Array, initial = 0): number {
  return crc32cRange(data, 0, data.byteLength, initial);
}

/** CRC32C of `data[start, end)` without making a view of it (records inside a larger buffer). */
export function crc32cRange(data: Uint8Array, start: number, end: number, initial = 0): number {
  if (!(start >= 0 && start <= end && end <= data.byteLength)) {
    // Reading past a view's end would checksum the neighbouring bytes of its ArrayBuffer.
    throw new RangeError(`crc32cRange: [${start}, ${end}) is not inside 0..${data.byteLength}`);
  }
  if (end - start >= NATIVE_MIN_BYTES) {
    return nativeCrc32c(Buffer.from(data.buffer, data.byteOffset + start, end - start), initial) >>> 0;
  }
  return crc32cTable(data, start, end, initial);
}

/**
 * One cached DataView: framing code checksums many records inside the same buffer, and
 * allocating a view per record would cost more than the checksum itself. (It keeps the
 * last buffer reachable until the next call with another one.)
 */
let lastBytes: Uint8Array | undefined;
let lastView: DataView | undefined;

function viewOf(bytes: Uint8Array): DataView {
  if (bytes !== lastBytes || lastView === undefined) {
    lastBytes = bytes;
    lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return lastView;
}

/** The table path alone; exported for the tests that compare it with the native one. */
export function crc32cTable(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  const T = TABLE;
  const view = viewOf(bytes);
  let crc = ~initial;
  let i = start;
  for (const stop = end - 16; i <= stop; i += 16) {
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
  for (; i < end; i++) crc = T[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
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
