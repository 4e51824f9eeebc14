import { StorageError, crc32cRange } from '@store/backend-core';
import type { ChecksumArena } from './checksum-arena.js';

/**
 * Every on-disk layout of the vector file, written once. The README documents the same
 * bytes; keep the two in step. All integers are little-endian whatever the host is; the
 * float values are IEEE 754 binary32 little-endian, 4-byte aligned in the file so a record
 * read into an aligned buffer is viewed as a `Float32Array` without copying.
 *
 * Data file (`<name>`):
 *   file header (64 bytes)
 *     0  magic          4 bytes  "JDBF"
 *     4  version        u16      1
 *     6  flags          u16      0 (reserved)
 *     8  dimension      u32      0 = not fixed yet (taken from the first vector record)
 *    12  reserved       u32      0
 *    16  file token     16 bytes random; new on create and on every compaction
 *    32  created        u64      ms since the Unix epoch
 *    40  reserved       20 bytes 0
 *    60  header crc     u32      CRC32C of bytes 0..59
 *   records, back to back; each starts at a multiple of 8
 *     record header (64 bytes)
 *       0  magic        4 bytes  "JDBV"
 *       4  version      u16      1
 *       6  flags        u16      0 (reserved)
 *       8  timestamp    u64      ms since the Unix epoch when the record was written
 *      16  data type    u32      1 = float32 vector record
 *      20  data size    u32      bytes after this header (a multiple of 8)
 *      24  crc          u32      CRC32C of header bytes 0..23, then bytes 28..(64 + data size)
 *      28  reserved     36 bytes 0
 *     vector data (at record offset 64)
 *       0  id length    u16      UTF-8 bytes of the id, 1..MAX_ID_BYTES
 *       2  deleted      u8       0 = live vector, 1 = tombstone (dimension 0, no values)
 *       3  reserved     u8       0
 *       4  dimension    u32
 *       8  version      u64      1 for a new id, +1 per put of a live id
 *      16  created      u64      ms since the Unix epoch of the id's first put
 *      24  updated      u64      ms since the Unix epoch of this put
 *      32  meta length  u32      UTF-8 bytes of the metadata JSON (0 = none)
 *      36  reserved     u32      0
 *      40  id           id length bytes, then zeros to a multiple of 4
 *       …  values       dimension × f32
 *       …  metadata     meta length bytes of JSON
 *       …  padding      zeros to a multiple of 8
 *
 * Offset index (`<name>.idx`, a cache: rebuilt from the data file when missing or stale):
 *     0  magic          4 bytes  "JDBI"
 *     4  version        u16      1
 *     6  reserved       u16      0
 *     8  file token     16 bytes the data file header's token
 *    24  covered size   u64      data file bytes the index describes
 *    32  count          u32      live entries
 *    36  dimension      u32
 *    40  entries        count × [offset u64][id length u16][id bytes], any order, each id once
 *     …  crc            u32      CRC32C of everything before it
 */
export const FILE_MAGIC = 0x4642444a; // "JDBF" read as u32 LE
export const RECORD_MAGIC = 0x5642444a; // "JDBV"
export const INDEX_MAGIC = 0x4942444a; // "JDBI"
export const FORMAT_VERSION = 1;
export const DATA_TYPE_FLOAT32 = 1;

export const FILE_HEADER_SIZE = 64;
export const RECORD_HEADER_SIZE = 64;
export const VECTOR_FIELDS_SIZE = 40;
export const TOKEN_SIZE = 16;
export const INDEX_HEADER_SIZE = 40;

export const MAX_ID_BYTES = 512;
export const MAX_DIMENSION = 65_536;
export const MAX_METADATA_BYTES = 1024 * 1024;
/** No valid record has more data than this; a larger size field is corruption. */
export const MAX_DATA_SIZE = VECTOR_FIELDS_SIZE + MAX_ID_BYTES + 4 * MAX_DIMENSION + MAX_METADATA_BYTES + 8;

/** Whether this host stores floats little-endian, so file bytes can be viewed directly. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

const TWO_32 = 0x1_0000_0000;

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

export function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Total record size on disk for these field lengths. */
export function recordSize(idBytes: number, dimension: number, metaBytes: number): number {
  return pad8(RECORD_HEADER_SIZE + VECTOR_FIELDS_SIZE + pad4(idBytes) + 4 * dimension + metaBytes);
}

export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}

/** A u64, or -1 when it does not fit a safe integer (the caller reports corruption). */
export function readU64(view: DataView, offset: number): number {
  const hi = view.getUint32(offset + 4, true);
  if (hi > 0x1f_ffff) return -1;
  return hi * TWO_32 + view.getUint32(offset, true);
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------- file header

export interface FileHeader {
  dimension: number;
  token: Uint8Array;
  created: number;
}

export function encodeFileHeader(header: FileHeader): Uint8Array {
  const b = new Uint8Array(FILE_HEADER_SIZE);
  const v = viewOf(b);
  v.setUint32(0, FILE_MAGIC, true);
  v.setUint16(4, FORMAT_VERSION, true);
  v.setUint32(8, header.dimension, true);
  b.set(header.token, 16);
  writeU64(v, 32, header.created);
  v.setUint32(60, crc32cRange(b, 0, 60), true);
  return b;
}

export function decodeFileHeader(b: Uint8Array, path: string): FileHeader {
  const fail = (why: string, offset: number): never => {
    throw new StorageError('ECORRUPT', `file header ${why}`, { path, offset });
  };
  const v = viewOf(b);
  if (b.length >= 4 && v.getUint32(0, true) !== FILE_MAGIC) fail('has a bad magic (not a vector file)', 0);
  if (b.length < FILE_HEADER_SIZE) fail(`is truncated (${b.length} of ${FILE_HEADER_SIZE} bytes)`, b.length);
  if (v.getUint32(60, true) !== crc32cRange(b, 0, 60)) fail('checksum mismatch', 60);
  if (v.getUint16(4, true) !== FORMAT_VERSION) fail(`has unsupported version ${v.getUint16(4, true)}`, 4);
  const dimension = v.getUint32(8, true);
  if (dimension > MAX_DIMENSION) fail(`dimension ${dimension} is over ${MAX_DIMENSION}`, 8);
  const created = readU64(v, 32);
  if (created < 0) fail('created time is out of range', 32);
  return { dimension, token: b.slice(16, 32), created };
}

// ---------------------------------------------------------------- records

/** The fields of one record, as parsed from its bytes (values not copied). */
export interface RecordFields {
  /** Total bytes of the record (header + data). */
  size: number;
  timestamp: number;
  id: string;
  deleted: boolean;
  dimension: number;
  version: number;
  created: number;
  updated: number;
  /** Offset of the first float inside the parsed buffer (4-byte aligned relative to the record). */
  valuesOffset: number;
  metaOffset: number;
  metaLength: number;
}

/** What `parseRecord` says about the bytes at an offset. */
export type ParseResult = { ok: true; fields: RecordFields } | { ok: false; reason: string; /** bytes needed to decide, when the record is merely incomplete */ need?: number };

/**
 * Parses and checks the record at `b[p, end)`: magic, sizes, checksum and every field.
 * `need` is set when the bytes end before the record does (the caller reads more, or
 * it is a torn tail). When the bytes are `arena.bytes`, the checksum is computed there
 * (WebAssembly, no native call per record).
 */
export function parseRecord(b: Uint8Array, v: DataView, p: number, end: number, expectId?: string, arena?: ChecksumArena): ParseResult {
  if (end - p < RECORD_HEADER_SIZE) return { ok: false, reason: 'truncated record header', need: RECORD_HEADER_SIZE };
  if (v.getUint32(p, true) !== RECORD_MAGIC) return { ok: false, reason: 'bad record magic' };
  const dataSize = v.getUint32(p + 20, true);
  if (dataSize > MAX_DATA_SIZE || dataSize % 8 !== 0 || dataSize < VECTOR_FIELDS_SIZE + 8) {
    return { ok: false, reason: `bad data size ${dataSize}` };
  }
  const size = RECORD_HEADER_SIZE + dataSize;
  if (end - p < size) return { ok: false, reason: 'truncated record', need: size };
  const crc = arena !== undefined && b === arena.bytes ? arena.recordCrc(p, size) : crc32cRange(b, p + 28, p + size, crc32cRange(b, p, p + 24));
  if (crc !== v.getUint32(p + 24, true)) return { ok: false, reason: 'checksum mismatch' };
  // From here the bytes are what a writer wrote; field checks catch only writer bugs or a
  // forged checksum, but a reader must never trust them blindly.
  if (v.getUint16(p + 4, true) !== FORMAT_VERSION) return { ok: false, reason: `unsupported record version ${v.getUint16(p + 4, true)}` };
  if (v.getUint32(p + 16, true) !== DATA_TYPE_FLOAT32) return { ok: false, reason: `unknown data type ${v.getUint32(p + 16, true)}` };
  const d = p + RECORD_HEADER_SIZE;
  const idLength = v.getUint16(d, true);
  const deletedByte = b[d + 2]!;
  const dimension = v.getUint32(d + 4, true);
  const version = readU64(v, d + 8);
  const created = readU64(v, d + 16);
  const updated = readU64(v, d + 24);
  const metaLength = v.getUint32(d + 32, true);
  const timestamp = readU64(v, p + 8);
  if (idLength === 0 || idLength > MAX_ID_BYTES) return { ok: false, reason: `bad id length ${idLength}` };
  if (deletedByte > 1) return { ok: false, reason: `bad deleted flag ${deletedByte}` };
  if (dimension > MAX_DIMENSION || (deletedByte === 1 && dimension !== 0)) return { ok: false, reason: `bad dimension ${dimension}` };
  if (version < 1 || created < 0 || updated < 0 || timestamp < 0) return { ok: false, reason: 'version or time out of range' };
  if (metaLength > MAX_METADATA_BYTES) return { ok: false, reason: `bad metadata length ${metaLength}` };
  if (recordSize(idLength, dimension, metaLength) !== size) return { ok: false, reason: 'field lengths do not add up to the data size' };
  const idOffset = d + VECTOR_FIELDS_SIZE;
  const valuesOffset = idOffset + pad4(idLength);
  const metaOffset = valuesOffset + 4 * dimension;
  let id: string;
  if (expectId !== undefined && asciiEquals(b, idOffset, idLength, expectId)) {
    // A get knows which id it wants: an equal ASCII id needs no decoding (TextDecoder costs more than the rest of a small record).
    id = expectId;
  } else {
    try {
      id = utf8.decode(b.subarray(idOffset, idOffset + idLength));
    } catch {
      return { ok: false, reason: 'id is not valid UTF-8' };
    }
  }
  return {
    ok: true,
    fields: { size, timestamp, id, deleted: deletedByte === 1, dimension, version, created, updated, valuesOffset, metaOffset, metaLength },
  };
}

// ignoreBOM: by default a TextDecoder drops a leading U+FEFF, and an id that starts with one
// would read back as another id (and a get of it would find a record of "another id").
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether `b[at, at + length)` are the bytes of the ASCII string `id` (false for any non-ASCII id). */
function asciiEquals(b: Uint8Array, at: number, length: number, id: string): boolean {
  if (id.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80 || b[at + i] !== c) return false;
  }
  return true;
}

/** Decodes the metadata JSON of a parsed record (null when it has none). */
export function parseMetadata(b: Uint8Array, f: RecordFields, path: string, offset: number): unknown {
  if (f.metaLength === 0) return null;
  try {
    return JSON.parse(utf8.decode(b.subarray(f.metaOffset, f.metaOffset + f.metaLength))) as unknown;
  } catch (cause) {
    throw new StorageError('ECORRUPT', `metadata of '${f.id}' is not valid JSON`, { path, offset, cause });
  }
}

export interface EncodeInput {
  id: string;
  /** UTF-8 bytes of `id` (computed once by the caller for the length check). */
  idBytes: number;
  values: Float32Array | null;
  dimension: number;
  meta: string | null;
  metaBytes: number;
  deleted: boolean;
  version: number;
  created: number;
  updated: number;
}

/**
 * Writes one record at `b[p, …)` (every byte of it, padding zeroed) and returns its size. `f32` is a Float32Array
 * over the same ArrayBuffer as `b`, at byte offset 0 of it, so values are copied with one
 * `set` and no per-record view; `b.byteOffset` must be a multiple of 4.
 */
export function encodeRecord(b: Buffer, v: DataView, f32: Float32Array, p: number, r: EncodeInput): number {
  const size = recordSize(r.idBytes, r.dimension, r.metaBytes);
  // Zero the header and fixed fields (reserved bytes included); ids, values and metadata are
  // written over the rest, and only their padding is zeroed below.
  b.fill(0, p, p + RECORD_HEADER_SIZE + VECTOR_FIELDS_SIZE);
  v.setUint32(p, RECORD_MAGIC, true);
  v.setUint16(p + 4, FORMAT_VERSION, true);
  writeU64(v, p + 8, r.updated);
  v.setUint32(p + 16, DATA_TYPE_FLOAT32, true);
  v.setUint32(p + 20, size - RECORD_HEADER_SIZE, true);
  const d = p + RECORD_HEADER_SIZE;
  v.setUint16(d, r.idBytes, true);
  b[d + 2] = r.deleted ? 1 : 0;
  v.setUint32(d + 4, r.dimension, true);
  writeU64(v, d + 8, r.version);
  writeU64(v, d + 16, r.created);
  writeU64(v, d + 24, r.updated);
  v.setUint32(d + 32, r.metaBytes, true);
  b.write(r.id, d + VECTOR_FIELDS_SIZE, 'utf8');
  const valuesOffset = d + VECTOR_FIELDS_SIZE + pad4(r.idBytes);
  b.fill(0, d + VECTOR_FIELDS_SIZE + r.idBytes, valuesOffset);
  const metaEnd = valuesOffset + 4 * r.dimension + r.metaBytes;
  b.fill(0, metaEnd, p + size);
  if (r.values !== null) {
    if (HOST_LITTLE_ENDIAN) f32.set(r.values, (b.byteOffset + valuesOffset) >> 2);
    else for (let i = 0; i < r.dimension; i++) v.setFloat32(valuesOffset + 4 * i, r.values[i]!, true);
  }
  if (r.meta !== null) b.write(r.meta, valuesOffset + 4 * r.dimension, 'utf8');
  let crc = crc32cRange(b, p, p + 24);
  crc = crc32cRange(b, p + 28, p + size, crc);
  v.setUint32(p + 24, crc, true);
  return size;
}
