import { LRUCache } from 'lru-cache';

/** Bytes of one block and a DataView over them, made once per block rather than per lookup. */
export interface Block {
  bytes: Uint8Array;
  view: DataView;
}

export function blockOf(bytes: Uint8Array): Block {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * Blocks of segment bytes between two sparse-index entries, keyed by segment number and
 * entry. Only complete blocks are cached (a block is complete once a later index entry
 * exists or its segment is sealed), so a cached block never goes stale while appending.
 */
export class BlockCache {
  readonly #lru: LRUCache<number, Block>;
  hits = 0;
  misses = 0;
  /** Direct-mapped table of recently missed keys: the doorkeeper for admission. */
  readonly #recent = new Float64Array(4096).fill(-1);

  constructor(maxBytes: number) {
    this.#lru = new LRUCache<number, Block>({ maxSize: Math.max(1, maxBytes), sizeCalculation: (b) => Math.max(1, b.bytes.length) });
  }

  static key(segment: number, entry: number): number {
    return segment * 0x1_0000_0000 + entry;
  }

  get(key: number): Block | undefined {
    const b = this.#lru.get(key);
    if (b === undefined) this.misses++;
    else this.hits++;
    return b;
  }

  /** True if `key` missed recently too (so it is worth caching); remembers it otherwise. */
  admit(key: number): boolean {
    if (this.#lru.maxSize <= 1) return false;
    const slot = (key ^ (key / 0x1_0000_0000)) & 4095;
    if (this.#recent[slot] === key) return true;
    this.#recent[slot] = key;
    return false;
  }

  set(key: number, block: Block): void {
    this.#lru.set(key, block);
  }

  clear(): void {
    this.#lru.clear();
  }

  get size(): number {
    return this.#lru.calculatedSize;
  }
}
