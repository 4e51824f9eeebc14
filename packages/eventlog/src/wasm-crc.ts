import { CRC32C_TABLE as TABLE } from '@store/backend-core';
import { CRC32C_WASM } from './crc32c-wasm.js';

/**
 * CRC32C over whole runs of records in WebAssembly (wasm/crc32c.wat, slicing-by-8).
 * One call seals or verifies every record of a 64 KiB write buffer or a 1 MiB read chunk,
 * so the per-record cost is the checksum itself — no call, no allocation per record.
 */
// The compiler setup here has no DOM or wasm lib; these are the few runtime globals used.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface CrcExports {
  memory: WasmMemory;
  crc(p: number, n: number, c: number): number;
  sealRecords(p: number, end: number): void;
  verifyRecords(p: number, end: number, maxSize: number): number;
}

/** Compiled once per process; the read-ahead worker gets it too (modules can be shared). */
export const CRC_MODULE = new WebAssembly.Module(Buffer.from(CRC32C_WASM, 'base64'));
/** The module's tables: the first 8 of our slicing-by-16 tables are exactly the slicing-by-8 tables. */
export const CRC_TABLES: Int32Array = TABLE.slice(0, 2048);
/** Where record bytes start in the module's memory (the tables come first). */
export const DATA_OFFSET = 8192;
const PAGE = 65536;

/**
 * A fresh instance of the CRC module with its tables in place. Uses nothing but its
 * arguments and globals: the worker threads run this very function (see eval-worker.ts).
 */
export function instantiateCrc(module: object, tables: Int32Array): CrcExports {
  const wasm = (globalThis as unknown as { WebAssembly: typeof WebAssembly }).WebAssembly;
  const exports = new wasm.Instance(module, {}).exports as unknown as CrcExports;
  // Wasm memory is little-endian whatever the host is.
  const view = new DataView(exports.memory.buffer);
  for (let i = 0; i < tables.length; i++) view.setInt32(i * 4, tables[i]!, true);
  return exports;
}

export class WasmCrc {
  readonly #exports: CrcExports;
  /** A Buffer over the data area; valid until `ensureCapacity` grows the memory. */
  data: Buffer;

  constructor(capacity: number) {
    this.#exports = instantiateCrc(CRC_MODULE, CRC_TABLES);
    this.data = Buffer.alloc(0);
    this.ensureCapacity(capacity);
  }

  ensureCapacity(capacity: number): void {
    const memory = this.#exports.memory;
    const needed = DATA_OFFSET + capacity;
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    if (this.data.length < capacity || this.data.buffer !== memory.buffer) {
      this.data = Buffer.from(memory.buffer, DATA_OFFSET, memory.buffer.byteLength - DATA_OFFSET);
    }
  }

  /** Writes the checksum field of every record in `data[0, length)`. */
  sealRecords(length: number): void {
    this.#exports.sealRecords(DATA_OFFSET, DATA_OFFSET + length);
  }

  /** How many leading bytes of `data[0, length)` are complete records with valid checksums. */
  verifyRecords(length: number, maxSize: number): number {
    return this.#exports.verifyRecords(DATA_OFFSET, DATA_OFFSET + length, maxSize) - DATA_OFFSET;
  }

  crc(offset: number, length: number, initial: number): number {
    return this.#exports.crc(DATA_OFFSET + offset, length, initial) >>> 0;
  }
}

let shared: WasmCrc | undefined;

/**
 * The process's scratch instance, with room for `capacity` bytes: for work that is done
 * before the caller returns (JavaScript is single-threaded, so no two uses overlap). One
 * instance, not one per log: each WebAssembly memory reserves gigabytes of address space.
 */
export function scratchCrc(capacity: number): WasmCrc {
  shared ??= new WasmCrc(Math.max(capacity, 1 << 20));
  shared.ensureCapacity(capacity);
  return shared;
}

/**
 * How many leading bytes of `bytes[from, to)` are valid records, checked in one call
 * (the bytes are copied into the module's memory first; a memcpy costs far less than
 * the checksums).
 */
export function verifiedPrefix(bytes: Uint8Array, from: number, to: number, maxSize: number): number {
  const wasm = scratchCrc(to - from);
  wasm.data.set(bytes.subarray(from, to));
  return wasm.verifyRecords(to - from, maxSize);
}
