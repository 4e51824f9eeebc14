import { CRC32C_TABLE } from '@store/backend-core';
import { CRC32C_WASM } from './crc32c-wasm.js';

// The compiler setup here has no DOM or wasm lib; these are the few runtime globals used.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Crc32cExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  crc(p: number, end: number, init: number): number;
  recordCrc(p: number, size: number): number;
  seal(p: number, end: number): void;
}

const MODULE = new WebAssembly.Module(Buffer.from(CRC32C_WASM, 'base64'));
const PAGE = 65536;
/** Bytes 0..16383 of the memory hold the slicing-by-16 tables; the work area follows. */
const BASE = 16384;
/** The most work area an arena grows to (larger batches are encoded in a plain buffer). */
export const ARENA_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * A work buffer in WebAssembly memory with the CRC32C of wasm/crc32c.wat beside it: records
 * encoded or read into `bytes` are checksummed by one call for a whole batch (`seal`) or per
 * record (`recordCrc`) with no call into native code and no view object per record. A call
 * into @node-rs/crc32 costs ~180 ns before it reads a byte (more than the rest of a ~600-byte
 * record's checksum); slicing-by-16 here checksums such a record in about the same time as
 * that call alone. `bytes` starts 8-aligned, so float values of a record at an 8-aligned
 * position can be viewed or stored through `f32` in place.
 *
 * Growing replaces the memory's ArrayBuffer: `bytes`, `view`, `i32` and `f32` are new
 * objects after `ensure` (read them again, never keep them across it).
 */
export class ChecksumArena {
  readonly #w: Crc32cExports;
  /** The work area, from byte BASE of the memory. */
  bytes!: Buffer;
  view!: DataView;
  /** The whole memory as words and floats: position p of `bytes` is word (p + BASE) >> 2 (see `wordAt`). */
  i32!: Int32Array;
  f32!: Float32Array;

  constructor(size = 0) {
    this.#w = new WebAssembly.Instance(MODULE, {}).exports as unknown as Crc32cExports;
    this.#views();
    new Int32Array(this.#w.memory.buffer, 0, 4096).set(CRC32C_TABLE);
    this.ensure(size);
  }

  /** Makes `bytes` at least `size` long (up to ARENA_MAX_BYTES: RangeError beyond). */
  ensure(size: number): void {
    if (this.bytes.length >= size) return;
    if (size > ARENA_MAX_BYTES) throw new RangeError(`checksum arena of ${size} bytes is over its ${ARENA_MAX_BYTES}-byte limit`);
    const have = this.#w.memory.buffer.byteLength;
    // At least double, so a run of growing batches grows the memory a few times only.
    const want = Math.min(Math.max(BASE + size, 2 * have), BASE + ARENA_MAX_BYTES);
    this.#w.memory.grow(Math.ceil((want - have) / PAGE));
    this.#views();
  }

  /** The index into `i32`/`f32` of position `p` (a multiple of 4) of `bytes`. */
  wordAt(p: number): number {
    return (p + BASE) >> 2;
  }

  /** CRC32C of `bytes[start, end)`, continuing from `init`. */
  crc(start: number, end: number, init = 0): number {
    this.#check(start, end);
    return this.#w.crc(start + BASE, end + BASE, init) >>> 0;
  }

  /** The format's checksum of the record of `size` bytes at `bytes[p]` (header bytes 0..23, then 28..size). */
  recordCrc(p: number, size: number): number {
    this.#check(p, p + size);
    return this.#w.recordCrc(p + BASE, size) >>> 0;
  }

  /**
   * Stores the checksum of every record in `bytes[start, end)` at its offset 24. The records
   * must lie back to back and be whole (each one's data size field correct): the encoder's output.
   */
  seal(start: number, end: number): void {
    this.#check(start, end);
    this.#w.seal(start + BASE, end + BASE);
  }

  #check(start: number, end: number): void {
    // Out of range would checksum (or, for seal, write) other bytes of the memory: the tables.
    if (!(start >= 0 && start <= end && end <= this.bytes.length)) throw new RangeError(`checksum arena: [${start}, ${end}) is not inside 0..${this.bytes.length}`);
  }

  #views(): void {
    const buffer = this.#w.memory.buffer;
    this.bytes = Buffer.from(buffer, BASE);
    this.view = new DataView(buffer, BASE);
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
  }
}
