/**
 * The in-memory offset index: id → file offset of the id's live record, in typed arrays
 * instead of a `Map<string, number>`. The ids' UTF-8 bytes live back to back in one arena
 * (at open: the index file's own bytes, not copied), and an open-addressing hash table
 * (linear probing, FNV-1a over the UTF-8 bytes, load ≤ 1/2) maps them to entries. Loading a
 * million ids from the index file is one pass over its bytes with no string or Map entry
 * per id, and a lookup allocates nothing for an ASCII id.
 *
 * Laid out for few cache lines per lookup (with a million ids every array is far larger
 * than the CPU caches and TLB, so each distinct line touched is a miss): a table slot holds
 * the id's hash beside its entry number, so probing past other ids reads only the table;
 * an entry holds where its id lies in the arena and its offset side by side. A hit reads
 * one table line, one entry line and the id's bytes.
 *
 * An entry, once made, keeps its id: a delete marks it dead (offset -1), and a later put of
 * the same id revives it. Compaction builds a fresh index, which drops the dead entries.
 */
export class OffsetIndex {
  #arena: Buffer;
  #arenaUsed: number;
  /** Per entry e: [2e] = arena position · 1024 + id length (≤ MAX_ID_BYTES < 1024), [2e+1] = offset (-1 = dead). */
  #ent: Float64Array;
  /** Entries made (live and dead). */
  #entries = 0;
  #live = 0;
  /** Per slot s: [2s] = hash, [2s+1] = entry + 1 (0 = empty). Slots are a power of two. */
  #table: Int32Array;
  #mask: number;
  // The id of the last lookup, hashed: ASCII ids are compared by char code, others by their bytes in #scratch.
  #qHash = 0;
  #qLen = 0;
  #qAscii = true;
  #scratch = Buffer.alloc(2048);

  constructor(capacity = 1024, arena?: Buffer, arenaUsed = 0) {
    const cap = Math.max(16, capacity);
    this.#arena = arena ?? Buffer.alloc(cap * 16);
    this.#arenaUsed = arena === undefined ? 0 : arenaUsed;
    this.#ent = new Float64Array(2 * cap);
    let slots = 32;
    while (slots < cap * 2) slots *= 2;
    this.#table = new Int32Array(2 * slots);
    this.#mask = slots - 1;
  }

  /** Live ids. */
  get size(): number {
    return this.#live;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** The offset of `id`'s live record, or undefined. */
  get(id: string): number | undefined {
    const e = this.#find(id);
    if (e < 0) return undefined;
    const offset = this.#ent[2 * e + 1]!;
    return offset < 0 ? undefined : offset;
  }

  /**
   * For a read: the offset of the first entry in `id`'s probe sequence whose hash equals
   * `id`'s, without comparing the id's bytes (a lookup then touches the table and the entry,
   * not the id arena: with a million ids each is a cache and TLB miss). The caller must check
   * that the record at that offset is `id`'s (a read does: the record holds its id) and ask
   * `get` when it is not — another id with the same 32-bit hash. -1: no entry has `id`'s
   * hash, so `id` is not there. -2: undecided (the entry is deleted, or the id is not ASCII): ask `get`.
   */
  candidate(id: string): number {
    if (typeof id !== 'string') return -1;
    const h = asciiHash(id);
    if (h === NOT_ASCII) return -2;
    const table = this.#table;
    let slot = h & this.#mask;
    for (;;) {
      const s = table[2 * slot + 1]!;
      if (s === 0) return -1;
      if (table[2 * slot] === h) {
        const offset = this.#ent[2 * (s - 1) + 1]!;
        return offset < 0 ? -2 : offset;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  set(id: string, offset: number): void {
    let e = this.#find(id);
    if (e < 0) e = this.#add(id);
    this.setAt(e, offset);
  }

  /** Removes `id`; false if it was not live. */
  delete(id: string): boolean {
    const e = this.#find(id);
    if (e < 0 || this.#ent[2 * e + 1]! < 0) return false;
    this.deleteAt(e);
    return true;
  }

  /**
   * The entry of `id`, made (dead) if there was none: a writer looks an id up once per put
   * and sets the entry after the write with `setAt`/`deleteAt`. Entries never move.
   */
  entry(id: string): number {
    const e = this.#find(id);
    return e < 0 ? this.#add(id) : e;
  }

  /**
   * Reads the table slot of each of `n` hashes once, in a loop of independent loads, so the
   * CPU fetches their cache lines (and page-table entries) side by side, before the lookups
   * that depend on them run one at a time: JavaScript has no prefetch instruction, and a batch
   * of new ids would otherwise wait for each random slot's miss in turn.
   */
  warm(hashes: Int32Array, n: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let x = 0;
    for (let i = 0; i < n; i++) x ^= table[2 * (hashes[i]! & mask) + 1]!;
    _warmSink = x;
  }

  /** The live offset of entry `e`, or -1 if it is dead. */
  offsetAt(e: number): number {
    return this.#ent[2 * e + 1]!;
  }

  setAt(e: number, offset: number): void {
    if (this.#ent[2 * e + 1]! < 0) this.#live++;
    this.#ent[2 * e + 1] = offset;
  }

  deleteAt(e: number): void {
    if (this.#ent[2 * e + 1]! < 0) return;
    this.#ent[2 * e + 1] = -1;
    this.#live--;
  }

  /**
   * Adds an entry whose id is `bytes[start, start + length)` of the arena given to the
   * constructor (bulk load from the index file). False if the id is already there.
   */
  addFromArena(start: number, length: number, offset: number): boolean {
    const a = this.#arena;
    const h = bytesHash(a, start, start + length);
    const table = this.#table;
    let slot = h & this.#mask;
    for (;;) {
      const s = table[2 * slot + 1]!;
      if (s === 0) break;
      if (table[2 * slot] === h) {
        const key = this.#ent[2 * (s - 1)]!;
        const at = Math.floor(key / 1024);
        if (key - at * 1024 === length && a.compare(a, start, start + length, at, at + length) === 0) return false;
      }
      slot = (slot + 1) & this.#mask;
    }
    const e = this.#newEntry(start, length);
    table[2 * slot] = h;
    table[2 * slot + 1] = e + 1;
    this.#ent[2 * e + 1] = offset;
    this.#live++;
    if (this.#entries * 2 > this.#mask + 1) this.#rehash();
    return true;
  }

  /** Live [id, offset] pairs, in no particular order. */
  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let e = 0; e < this.#entries; e++) {
      const offset = this.#ent[2 * e + 1]!;
      if (offset >= 0) yield [this.#idOf(e), offset];
    }
  }

  /** Live ids in the order of their records in the file. */
  idsInFileOrder(): string[] {
    const order = new Uint32Array(this.#live);
    let n = 0;
    const ent = this.#ent;
    for (let e = 0; e < this.#entries; e++) if (ent[2 * e + 1]! >= 0) order[n++] = e;
    order.sort((x, y) => ent[2 * x + 1]! - ent[2 * y + 1]!);
    return Array.from(order, (e) => this.#idOf(e));
  }

  /** Bytes `entries` takes in the index file format: per live id, offset u64, length u16, id bytes. */
  encodedSize(): number {
    let size = 0;
    const ent = this.#ent;
    for (let e = 0; e < this.#entries; e++) if (ent[2 * e + 1]! >= 0) size += 10 + (ent[2 * e]! % 1024);
    return size;
  }

  /** Writes the live entries at `b[p, …)` with `writeEntry(p, offset, idLength)` for the fixed part; returns the end. */
  encodeEntries(b: Buffer, p: number, writeEntry: (p: number, offset: number, idLength: number) => void): number {
    const a = this.#arena;
    const ent = this.#ent;
    for (let e = 0; e < this.#entries; e++) {
      const offset = ent[2 * e + 1]!;
      if (offset < 0) continue;
      const key = ent[2 * e]!;
      const at = Math.floor(key / 1024);
      const n = key - at * 1024;
      writeEntry(p, offset, n);
      // A byte loop: Buffer#copy costs more per call than copying a short id.
      for (let i = 0; i < n; i++) b[p + 10 + i] = a[at + i]!;
      p += 10 + n;
    }
    return p;
  }

  // ---------------------------------------------------------------- internals

  #idOf(e: number): string {
    const key = this.#ent[2 * e]!;
    const at = Math.floor(key / 1024);
    return this.#arena.toString('utf8', at, at + (key - at * 1024));
  }

  /** Hashes `id` into #q*, then finds its entry (-1 if none). */
  #find(id: string): number {
    // What a Map would say for a key that is not a string (ids are checked where they are written).
    if (typeof id !== 'string') return -1;
    const h = asciiHash(id);
    if (h !== NOT_ASCII) return this.#probe(id, h, id.length, true);
    if (this.#scratch.length < id.length * 3) this.#scratch = Buffer.alloc(id.length * 3);
    const byteLen = this.#scratch.write(id, 0, 'utf8');
    return this.#probe(id, bytesHash(this.#scratch, 0, byteLen), byteLen, false);
  }

  /**
   * `entry` for an ASCII id whose `asciiHash` the caller computed already (a writer hashes
   * each id of a batch once, for its duplicate check, and passes the hash on).
   */
  entryAscii(id: string, hash: number): number {
    const e = this.#probe(id, hash, id.length, true);
    return e < 0 ? this.#add(id) : e;
  }

  /** Finds the entry of `id` (of `byteLen` UTF-8 bytes, in #scratch unless ASCII) by its hash `h`; leaves them in #q* for #add. */
  #probe(id: string, h: number, byteLen: number, ascii: boolean): number {
    this.#qHash = h;
    this.#qLen = byteLen;
    this.#qAscii = ascii;
    const len = id.length;
    const a = this.#arena;
    const table = this.#table;
    let slot = h & this.#mask;
    for (;;) {
      const s = table[2 * slot + 1]!;
      if (s === 0) return -1;
      if (table[2 * slot] === h) {
        const e = s - 1;
        const key = this.#ent[2 * e]!;
        const at = Math.floor(key / 1024);
        if (key - at * 1024 === byteLen) {
          let same = true;
          if (ascii) {
            for (let i = 0; i < len; i++) {
              if (a[at + i] !== id.charCodeAt(i)) {
                same = false;
                break;
              }
            }
          } else {
            same = this.#scratch.compare(a, at, at + byteLen, 0, byteLen) === 0;
          }
          if (same) return e;
        }
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Adds the id of the last #find (which did not find it) as a new dead entry; returns it. */
  #add(id: string): number {
    const len = this.#qLen;
    if (this.#arenaUsed + len > this.#arena.length) {
      const grown = Buffer.alloc(Math.max(this.#arena.length * 2, this.#arenaUsed + len + 4096));
      this.#arena.copy(grown, 0, 0, this.#arenaUsed);
      this.#arena = grown;
    }
    const at = this.#arenaUsed;
    if (this.#qAscii) {
      // An ASCII id's char codes are its bytes.
      const a = this.#arena;
      for (let i = 0; i < len; i++) a[at + i] = id.charCodeAt(i);
    } else {
      this.#scratch.copy(this.#arena, at, 0, len);
    }
    this.#arenaUsed += len;
    const e = this.#newEntry(at, len);
    this.#ent[2 * e + 1] = -1;
    const table = this.#table;
    let slot = this.#qHash & this.#mask;
    while (table[2 * slot + 1] !== 0) slot = (slot + 1) & this.#mask;
    table[2 * slot] = this.#qHash;
    table[2 * slot + 1] = e + 1;
    if (this.#entries * 2 > this.#mask + 1) this.#rehash();
    return e;
  }

  #newEntry(at: number, len: number): number {
    if (2 * this.#entries === this.#ent.length) {
      const grown = new Float64Array(this.#ent.length * 2);
      grown.set(this.#ent);
      this.#ent = grown;
    }
    const e = this.#entries++;
    this.#ent[2 * e] = at * 1024 + len;
    return e;
  }

  #rehash(): void {
    const old = this.#table;
    const table = new Int32Array(old.length * 2);
    const mask = table.length / 2 - 1;
    for (let s = 0; s < old.length; s += 2) {
      const e1 = old[s + 1]!;
      if (e1 === 0) continue;
      const h = old[s]!;
      let slot = h & mask;
      while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = h;
      table[2 * slot + 1] = e1;
    }
    this.#table = table;
    this.#mask = mask;
  }
}

/** Where `OffsetIndex#warm` leaves what it read, so its loads are not dropped as unused. */
let _warmSink = 0;

/** What `asciiHash` returns for an id that is not all ASCII: 2^31, outside the int32 range every hash lies in. */
export const NOT_ASCII = 0x8000_0000;

/**
 * The index's hash of an ASCII id (FNV-1a over its char codes, which are its UTF-8 bytes,
 * then MurmurHash3's avalanche), or NOT_ASCII when it has a character ≥ 0x80.
 */
export function asciiHash(id: string): number {
  let h = 0x811c9dc5;
  const len = id.length;
  for (let i = 0; i < len; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) return NOT_ASCII;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return mix(h);
}

/** The index's hash of the UTF-8 bytes `b[start, end)` (equal to `asciiHash` for ASCII). */
function bytesHash(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return mix(h);
}

/**
 * The final avalanche of MurmurHash3: FNV-1a alone leaves the low bits of ids that differ
 * only in their last characters close together, which makes long runs in a linear-probing
 * table indexed by those bits.
 */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
