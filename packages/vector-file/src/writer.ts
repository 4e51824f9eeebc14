import { StorageError } from '@store/backend-core';
import { ARENA_MAX_BYTES, ChecksumArena } from './checksum-arena.js';
import { DATA_TYPE_FLOAT32, FORMAT_VERSION, HOST_LITTLE_ENDIAN, MAX_ID_BYTES, RECORD_HEADER_SIZE, RECORD_MAGIC, VECTOR_FIELDS_SIZE, encodeRecord, pad4, pad8, recordSize, viewOf } from './format.js';
import { checkId, checkMetadata, checkVector, type VectorInput } from './validate.js';
import { NOT_ASCII, asciiHash } from './offset-index.js';

/** One item of `putBatch`. */
export interface PutItem {
  id: string;
  vector: VectorInput;
  metadata?: unknown;
}

/**
 * A checked batch of records to append, as parallel arrays: no object per vector, and no
 * metadata arrays at all when no item has metadata (the common bulk-load case).
 */
export interface Batch {
  n: number;
  ids: string[];
  /** UTF-8 bytes of each id. */
  idBytes: Int32Array;
  /** 1 where the id is ASCII (its char codes are its bytes). */
  ascii: Uint8Array;
  /** The offset index's `asciiHash` of each ASCII id (unset for the others). */
  hashes: Int32Array;
  /** The float32 values (null for a tombstone). */
  vectors: (Float32Array | null)[];
  /** Metadata JSON per item (null for none), or undefined when no item has metadata. */
  metas: (string | null)[] | undefined;
  metaBytes: Int32Array | undefined;
  /** Dimension of every vector of the batch (0 for a tombstone). */
  dimension: number;
  deleted: boolean;
}

/** checkBatch's duplicate table, reused (it is filled and read within one synchronous call). */
let dupTable = new Int32Array(2048);

/**
 * Checks every item of a `putBatch` (ids, duplicates, dimension, finite values, metadata)
 * before anything is written: `EINVAL` naming the first bad item. `dimension` is the file's
 * (0 = not fixed yet: the first vector fixes it for the batch).
 */
export function checkBatch(items: readonly PutItem[], dimension: number): Batch {
  if (!Array.isArray(items)) throw new StorageError('EINVAL', 'putBatch takes an array of { id, vector, metadata? }', { field: 'items' });
  const n = items.length;
  const ids = new Array<string>(n);
  const idBytes = new Int32Array(n);
  const ascii = new Uint8Array(n);
  const hashes = new Int32Array(n);
  const vectors = new Array<Float32Array>(n);
  let metas: (string | null)[] | undefined;
  let metaBytes: Int32Array | undefined;
  // Duplicates are found with the offset index's hash of each ASCII id (computed here once and
  // handed on to the index) in an open-addressing table of item numbers; other ids go to a Set.
  let slots = 16;
  while (slots < 2 * n) slots *= 2;
  if (dupTable.length < slots) dupTable = new Int32Array(slots);
  const table = dupTable;
  table.fill(0, 0, slots);
  const mask = slots - 1;
  let others: Set<string> | undefined;
  let block: Float32Array | undefined;
  for (let i = 0; i < n; i++) {
    const item = items[i] as PutItem | undefined;
    if (item === null || typeof item !== 'object') throw new StorageError('EINVAL', `items[${i}] must be an object`, { field: `items[${i}]` });
    const id = item.id;
    // An ASCII id needs no UTF-8 length count and has no lone surrogates to look for.
    const h = typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_BYTES ? asciiHash(id) : NOT_ASCII;
    let duplicate = false;
    if (h !== NOT_ASCII) {
      ascii[i] = 1;
      idBytes[i] = id.length;
      hashes[i] = h;
      let slot = h & mask;
      for (let j = table[slot]!; j !== 0; j = table[slot]!) {
        if (hashes[j - 1] === h && ids[j - 1] === id) {
          duplicate = true;
          break;
        }
        slot = (slot + 1) & mask;
      }
      table[slot] = i + 1;
    } else {
      idBytes[i] = checkId(id, `items[${i}].id`);
      others ??= new Set<string>();
      const before = others.size;
      others.add(id);
      duplicate = others.size === before;
    }
    if (duplicate) throw new StorageError('EINVAL', `items[${i}].id '${id}' appears twice in the batch`, { field: `items[${i}].id` });
    ids[i] = id;
    // Once the dimension is known, every vector is copied into one block for the batch.
    if (block === undefined && dimension > 0) block = new Float32Array(n * dimension);
    const values = checkVector(item.vector, dimension, i, block?.subarray(i * dimension, (i + 1) * dimension));
    dimension = values.length;
    vectors[i] = values;
    if (item.metadata !== undefined && item.metadata !== null) {
      const meta = checkMetadata(item.metadata, `items[${i}].metadata`);
      metas ??= new Array<string | null>(n).fill(null);
      metaBytes ??= new Int32Array(n);
      metas[i] = meta.json;
      metaBytes[i] = meta.bytes;
    }
  }
  return { n, ids, idBytes, ascii, hashes, vectors, metas, metaBytes, dimension, deleted: false };
}

/** The batch of one tombstone for `id` (whose UTF-8 length the caller checked). */
export function tombstone(id: string, idBytes: number): Batch {
  const h = asciiHash(id);
  return { n: 1, ids: [id], idBytes: Int32Array.of(idBytes), ascii: Uint8Array.of(h === NOT_ASCII ? 0 : 1), hashes: Int32Array.of(h === NOT_ASCII ? 0 : h), vectors: [null], metas: undefined, metaBytes: undefined, dimension: 0, deleted: true };
}

const TWO_32 = 0x1_0000_0000;

/**
 * Encodes batches of records back to back into one reusable buffer, for one write per
 * batch. On a little-endian host the buffer is a `ChecksumArena` (WebAssembly memory): the
 * fixed fields are stored as 32-bit words through its Int32Array (every record starts
 * 8-aligned; on a little-endian host these are the format's bytes), the values with one
 * `Float32Array#set` per vector, every byte of a record is written (nothing is zero-filled
 * first), and then one call checksums every record of the batch (`seal`). The record layout
 * is format.ts's: `encodeRecord` gives the same bytes, and is used on a big-endian host and
 * for a batch larger than the arena's limit.
 */
export class BatchEncoder {
  readonly #arena: ChecksumArena | undefined;
  readonly #arenaMax: number;
  #plain: Buffer = Buffer.alloc(0);
  #usedPlain = false;

  /** `arenaMaxBytes`: batches larger than this are encoded in a plain buffer (tests pass 0 to take that path). */
  constructor(arenaMaxBytes = ARENA_MAX_BYTES) {
    this.#arena = HOST_LITTLE_ENDIAN ? new ChecksumArena(64 * 1024) : undefined;
    this.#arenaMax = Math.min(arenaMaxBytes, ARENA_MAX_BYTES);
  }

  /** The buffer the last `encode` wrote, from its byte 0 (valid until the next `encode`). */
  get bytes(): Buffer {
    return this.#usedPlain ? this.#plain : this.#arena!.bytes;
  }

  /**
   * Encodes the records of `batch` from byte 0, with each item's version and created time
   * and the common `updated` time (also the record timestamp). `at[i]` receives where
   * record i starts; returns the total bytes.
   */
  encode(batch: Batch, version: Float64Array, created: Float64Array, updated: number, at: Float64Array): number {
    const { n, idBytes, metaBytes, dimension } = batch;
    let total = 0;
    for (let i = 0; i < n; i++) {
      at[i] = total;
      total += recordSize(idBytes[i]!, dimension, metaBytes === undefined ? 0 : metaBytes[i]!);
    }
    const arena = this.#arena;
    this.#usedPlain = arena === undefined || total > this.#arenaMax;
    if (arena === undefined || total > this.#arenaMax) {
      // Byte by byte through a DataView (any host), each record checksummed by encodeRecord.
      if (this.#plain.length < total) this.#plain = Buffer.from(new ArrayBuffer(pad8(total)));
      const b = this.#plain;
      const view = viewOf(b);
      const f32 = new Float32Array(b.buffer, b.byteOffset, b.length >> 2);
      for (let i = 0; i < n; i++) {
        const metaLength = metaBytes === undefined ? 0 : metaBytes[i]!;
        encodeRecord(b, view, f32, at[i]!, {
          id: batch.ids[i]!, idBytes: idBytes[i]!, values: batch.vectors[i]!, dimension, meta: batch.metas?.[i] ?? null, metaBytes: metaLength,
          deleted: batch.deleted, version: version[i]!, created: created[i]!, updated,
        });
      }
      return total;
    }
    arena.ensure(total);
    const b = arena.bytes;
    const i32 = arena.i32;
    const f32 = arena.f32;
    const updatedLo = updated % TWO_32 | 0;
    const updatedHi = Math.floor(updated / TWO_32);
    const flagsWord = batch.deleted ? 1 << 16 : 0;
    for (let i = 0; i < n; i++) {
      const p = at[i]!;
      const id = batch.ids[i]!;
      const idLength = idBytes[i]!;
      const metaLength = metaBytes === undefined ? 0 : metaBytes[i]!;
      const size = recordSize(idLength, dimension, metaLength);
      const w = arena.wordAt(p);
      // record header: magic, version u16 + flags u16, timestamp u64, data type, data size, crc (by seal, below), 36 reserved bytes
      i32[w] = RECORD_MAGIC;
      i32[w + 1] = FORMAT_VERSION;
      i32[w + 2] = updatedLo;
      i32[w + 3] = updatedHi;
      i32[w + 4] = DATA_TYPE_FLOAT32;
      i32[w + 5] = size - RECORD_HEADER_SIZE;
      for (let k = 6; k < 16; k++) i32[w + k] = 0;
      // vector fields: id length u16 + deleted u8 + reserved u8, dimension, version, created, updated, meta length, reserved
      const v = version[i]!;
      const c = created[i]!;
      i32[w + 16] = idLength | flagsWord;
      i32[w + 17] = dimension;
      i32[w + 18] = v % TWO_32 | 0;
      i32[w + 19] = Math.floor(v / TWO_32);
      i32[w + 20] = c % TWO_32 | 0;
      i32[w + 21] = Math.floor(c / TWO_32);
      i32[w + 22] = updatedLo;
      i32[w + 23] = updatedHi;
      i32[w + 24] = metaLength;
      i32[w + 25] = 0;
      const idAt = p + RECORD_HEADER_SIZE + VECTOR_FIELDS_SIZE;
      const valuesAt = idAt + pad4(idLength);
      if (batch.ascii[i] === 1) {
        for (let k = 0; k < idLength; k++) b[idAt + k] = id.charCodeAt(k);
      } else {
        b.write(id, idAt, 'utf8');
      }
      for (let k = idAt + idLength; k < valuesAt; k++) b[k] = 0;
      const values = batch.vectors[i];
      if (values != null) f32.set(values, arena.wordAt(valuesAt));
      const metaAt = valuesAt + 4 * dimension;
      if (metaLength > 0) b.write(batch.metas![i]!, metaAt, 'utf8');
      for (let k = metaAt + metaLength; k < p + size; k++) b[k] = 0;
    }
    arena.seal(0, total);
    return total;
  }
}
