import { StorageError } from '@store/backend-core';
import { KERNELS_WASM } from './kernels-wasm.js';
import { TopK } from './top-k.js';

export type Metric = 'cosine' | 'dot' | 'l2';
export const METRICS: readonly Metric[] = ['cosine', 'dot', 'l2'];

/** One search hit: the vector's id and its score (cosine similarity, dot product, or L2 distance). */
export interface SearchHit {
  id: string;
  score: number;
}

// The compiler setup here has no DOM or wasm lib; these are the few runtime globals used.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Kernels {
  memory: WasmMemory;
  dotSelect(q: number, base: number, n: number, stride: number, dim: number, inv: number, threshold: number, outIdx: number, outScore: number): number;
  l2Select(q: number, base: number, n: number, stride: number, dim: number, inv: number, threshold: number, outIdx: number, outScore: number): number;
  dot4(q: number, qStride: number, base: number, n: number, stride: number, dim: number, out: number, outStride: number): void;
  l2x4(q: number, qStride: number, base: number, n: number, stride: number, dim: number, out: number, outStride: number): void;
}

const MODULE = new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'));
const PAGE = 65536;
/** wasm32 memory ends at 4 GiB (65536 pages). */
const MAX_PAGES = 65536;
/** Most vectors scored per kernel call; scores for four queries live below VECTORS_AT. */
const MAX_BLOCK = 4096;
const SCORES_AT = 0;
/** Where the single-query kernels put their candidates: block indices (i32), then scores (f64). */
const CANDIDATES_AT = 0;
const CANDIDATE_SCORES_AT = CANDIDATES_AT + 4 * MAX_BLOCK;
const VECTORS_AT = 4 * MAX_BLOCK * 4;
/** Queries scored per pass over the vectors; a larger batch is searched in groups of this many. */
const QUERY_GROUP = 256;

/**
 * The live vectors of a file, resident in WebAssembly memory so that every query scans
 * them where they lie with the SIMD kernels of wasm/kernels.wat: slot i holds one vector
 * at VECTORS_AT + i·dim·4; after the slots come the queries of a pass (QUERY_GROUP of them)
 * and then 1/|v| per slot (f64, for cosine). Loaded once per process from the file
 * (checksums verified), then kept in step by put and delete; a deleted slot is reused by
 * the next new id.
 */
export class SearchSet {
  readonly dimension: number;
  readonly #k: Kernels;
  readonly #stride: number;
  #capacity = 0;
  /** Slots in use or freed (the scan covers [0, #used)). */
  #used = 0;
  ids: string[] = [];
  #live = new Uint8Array(0);
  /** 1/|v| per slot (0 for a zero vector), for cosine: a view of WebAssembly memory at #invAt. */
  #invNorm = new Float64Array(0);
  #invAt = 0;
  readonly #slotOf = new Map<string, number>();
  readonly #free: number[] = [];
  #u8!: Uint8Array;
  #f32!: Float32Array;

  constructor(dimension: number, capacity: number) {
    this.dimension = dimension;
    this.#stride = dimension * 4;
    this.#k = new WebAssembly.Instance(MODULE, {}).exports as unknown as Kernels;
    this.#grow(Math.max(capacity, 1024));
  }

  get size(): number {
    return this.#slotOf.size;
  }

  /** Bytes of vector data resident (slots in use, including freed ones awaiting reuse). */
  get residentBytes(): number {
    return this.#used * this.#stride;
  }

  #grow(capacity: number): void {
    const invAt = (VECTORS_AT + capacity * this.#stride + QUERY_GROUP * this.#stride + 7) & ~7;
    const needBytes = invAt + 8 * capacity;
    const memory = this.#k.memory;
    if (needBytes > memory.buffer.byteLength) {
      const pages = Math.ceil((needBytes - memory.buffer.byteLength) / PAGE);
      if (memory.buffer.byteLength / PAGE + pages > MAX_PAGES) {
        throw new StorageError('EINVAL', `search needs ${needBytes} bytes of WebAssembly memory, over its 4 GiB limit (too many vectors for exact search in memory)`);
      }
      memory.grow(pages);
    }
    const live = new Uint8Array(capacity);
    live.set(this.#live.subarray(0, Math.min(this.#live.length, capacity)));
    this.#live = live;
    const oldInvAt = this.#invAt;
    // (Not #invNorm.length: growing the memory detached that view, which now has length 0.)
    const oldInvBytes = 8 * Math.min(this.#capacity, capacity);
    this.#capacity = capacity;
    this.#invAt = invAt;
    this.#views();
    // The norms move up past the grown slots and queries (copyWithin is a memmove).
    if (oldInvBytes > 0) this.#u8.copyWithin(invAt, oldInvAt, oldInvAt + oldInvBytes);
  }

  #views(): void {
    const buffer = this.#k.memory.buffer;
    if (this.#u8?.buffer !== buffer) {
      this.#u8 = new Uint8Array(buffer);
      this.#f32 = new Float32Array(buffer);
    }
    if (this.#invNorm.buffer !== buffer || this.#invNorm.byteOffset !== this.#invAt || this.#invNorm.length !== this.#capacity) {
      this.#invNorm = new Float64Array(buffer, this.#invAt, this.#capacity);
    }
  }

  #slotFor(id: string): number {
    let slot = this.#slotOf.get(id);
    if (slot !== undefined) return slot;
    slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#used === this.#capacity) this.#grow(Math.max(1024, this.#capacity * 2));
      slot = this.#used++;
    }
    this.#slotOf.set(id, slot);
    this.ids[slot] = id;
    this.#live[slot] = 1;
    return slot;
  }

  /** Sets `id`'s vector from little-endian float32 bytes `bytes[from, from + dim·4)`. */
  setBytes(id: string, bytes: Uint8Array, from: number): void {
    const slot = this.#slotFor(id);
    const at = VECTORS_AT + slot * this.#stride;
    this.#u8.set(bytes.subarray(from, from + this.#stride), at);
    this.#invNorm[slot] = inverseNorm(this.#f32, at >> 2, this.dimension);
  }

  set(id: string, values: Float32Array): void {
    const slot = this.#slotFor(id);
    const at = VECTORS_AT + slot * this.#stride;
    this.#f32.set(values, at >> 2);
    this.#invNorm[slot] = inverseNorm(this.#f32, at >> 2, this.dimension);
  }

  delete(id: string): void {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return;
    this.#slotOf.delete(id);
    this.#live[slot] = 0;
    this.#free.push(slot);
  }

  /**
   * The k best live vectors for each query. `accept(slot)` (a metadata filter) is asked only
   * about candidates good enough to enter a query's current top k, so a cheap scan stays
   * cheap whatever the filter costs.
   */
  search(queries: Float32Array[], k: number, metric: Metric, accept?: (slot: number) => boolean): SearchHit[][] {
    const dim = this.dimension;
    const nq = queries.length;
    const heaps = queries.map(() => new TopK(k, this.ids));
    if (nq === 0 || k === 0 || this.#slotOf.size === 0) return queries.map(() => []);
    const cosine = metric === 'cosine';
    const l2 = metric === 'l2';
    // Queries go after the last slot, where #grow always leaves room for QUERY_GROUP of them.
    const group = QUERY_GROUP;
    const results: SearchHit[][] = [];
    for (let g0 = 0; g0 < nq; g0 += group) {
      const qs = queries.slice(g0, g0 + group);
      const hs = heaps.slice(g0, g0 + group);
      this.#searchGroup(qs, hs, cosine, l2, accept, dim);
      for (const h of hs) results.push(this.#hits(h, metric));
    }
    return results;
  }

  #searchGroup(queries: Float32Array[], heaps: TopK[], cosine: boolean, l2: boolean, accept: ((slot: number) => boolean) | undefined, dim: number): void {
    const k = this.#k;
    const stride = this.#stride;
    const nq = queries.length;
    const qAt = VECTORS_AT + this.#capacity * stride;
    for (let i = 0; i < nq; i++) {
      const q = queries[i]!;
      const at = (qAt + i * stride) >> 2;
      this.#f32.set(q, at);
      if (cosine) {
        // Normalise the query once; each vector's 1/|v| is applied in the selection loop.
        const inv = inverseNorm(this.#f32, at, dim);
        for (let j = 0; j < dim; j++) this.#f32[at + j] = this.#f32[at + j]! * inv;
      }
    }
    const four = dim % 4 === 0;
    // For a batch, blocks small enough that a block of vectors stays in the L2 cache while
    // every query of the batch is scored against it: the data is read from memory once for
    // all queries. One query reads each vector once anyway: the largest block, fewest calls.
    const block = four && nq >= 4 ? Math.max(64, Math.min(MAX_BLOCK, Math.floor((256 * 1024) / stride))) : MAX_BLOCK;
    const scores = this.#f32;
    const live = this.#live;
    const invNorm = this.#invNorm;
    const used = this.#used;
    for (let start = 0; start < used; start += block) {
      const n = Math.min(block, used - start);
      const base = VECTORS_AT + start * stride;
      let qi = 0;
      for (; four && qi + 4 <= nq; qi += 4) {
        if (l2) k.l2x4(qAt + qi * stride, stride, base, n, stride, dim, SCORES_AT, MAX_BLOCK * 4);
        else k.dot4(qAt + qi * stride, stride, base, n, stride, dim, SCORES_AT, MAX_BLOCK * 4);
        for (let j = 0; j < 4; j++) select(heaps[qi + j]!, scores, (SCORES_AT >> 2) + j * MAX_BLOCK, start, n, live, cosine ? invNorm : undefined, accept);
      }
      for (; qi < nq; qi++) this.#searchOne(qAt + qi * stride, heaps[qi]!, start, n, l2, cosine, accept);
    }
  }

  /**
   * One query over slots [start, start + n): the kernel drops every vector below the heap's
   * threshold, so only candidates come back to JavaScript (after the first k, a handful per block).
   */
  #searchOne(q: number, heap: TopK, start: number, n: number, l2: boolean, cosine: boolean, accept: ((slot: number) => boolean) | undefined): void {
    const k = this.#k;
    const stride = this.#stride;
    const base = VECTORS_AT + start * stride;
    const inv = cosine ? this.#invAt + 8 * start : 0;
    const count = l2
      ? k.l2Select(q, base, n, stride, this.dimension, inv, heap.threshold, CANDIDATES_AT, CANDIDATE_SCORES_AT)
      : k.dotSelect(q, base, n, stride, this.dimension, inv, heap.threshold, CANDIDATES_AT, CANDIDATE_SCORES_AT);
    if (count === 0) return;
    const buffer = this.#k.memory.buffer;
    const idx = new Int32Array(buffer, CANDIDATES_AT, count);
    const sc = new Float64Array(buffer, CANDIDATE_SCORES_AT, count);
    const live = this.#live;
    let threshold = heap.threshold;
    for (let c = 0; c < count; c++) {
      const s = sc[c]!;
      if (s < threshold) continue;
      const slot = start + idx[c]!;
      if (live[slot] === 0) continue;
      if (accept !== undefined && !accept(slot)) continue;
      heap.offer(s, slot);
      threshold = heap.threshold;
    }
  }

  #hits(heap: TopK, metric: Metric): SearchHit[] {
    return heap.sorted().map(({ key, slot }) => ({ id: this.ids[slot]!, score: metric === 'l2' ? Math.sqrt(-key) : key }));
  }
}

/** Offers `scores[from, from + n)` (slots start…) to the heap; the hot loop of every search. */
function select(heap: TopK, scores: Float32Array, from: number, start: number, n: number, live: Uint8Array, invNorm: Float64Array | undefined, accept: ((slot: number) => boolean) | undefined): void {
  let threshold = heap.threshold;
  for (let i = 0; i < n; i++) {
    let s = scores[from + i]!;
    if (invNorm !== undefined) s *= invNorm[start + i]!;
    if (s < threshold) continue;
    const slot = start + i;
    if (live[slot] === 0) continue;
    if (accept !== undefined && !accept(slot)) continue;
    heap.offer(s, slot);
    threshold = heap.threshold;
  }
}

/** 1/|v| in float64 for the `dim` floats at element index `at` (0 for a zero vector). */
function inverseNorm(f32: Float32Array, at: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const x = f32[at + j]!;
    sum += x * x;
  }
  return sum === 0 ? 0 : 1 / Math.sqrt(sum);
}
