/**
 * Interns the UTF-8 tag strings of a file. A run has few distinct tags repeated millions of
 * times; hashing and comparing the bytes is several times cheaper than decoding a new string
 * for every record.
 */
const MAX_ENTRIES = 4096;

interface Entry {
  bytes: Uint8Array;
  str: string;
}

const RECENT_SLOTS = 64;

export class TagCache {
  private readonly buckets = new Map<number, Entry[]>();
  private size = 0;
  /** Direct-mapped front cache keyed by length and three bytes: usually one compare per tag. */
  private readonly recent: Array<Entry | undefined> = new Array<Entry | undefined>(RECENT_SLOTS).fill(undefined);

  get(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len === 0) return '';
    const slot = (len * 31 + buf[start]! + buf[end - 1]! * 7 + buf[start + (len >>> 1)]! * 13) & (RECENT_SLOTS - 1);
    const hit = this.recent[slot];
    if (hit !== undefined && hit.bytes.length === len && this.same(hit.bytes, buf, start, len)) return hit.str;
    const entry = this.lookup(buf, start, end);
    this.recent[slot] = entry;
    return entry.str;
  }

  private same(bytes: Uint8Array, buf: Buffer, start: number, len: number): boolean {
    for (let i = 0; i < len; i++) if (bytes[i] !== buf[start + i]) return false;
    return true;
  }

  private lookup(buf: Buffer, start: number, end: number): Entry {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const bucket = this.buckets.get(h);
    if (bucket !== undefined) {
      const len = end - start;
      outer: for (const entry of bucket) {
        const bytes = entry.bytes;
        if (bytes.length !== len) continue;
        for (let i = 0; i < len; i++) if (bytes[i] !== buf[start + i]) continue outer;
        return entry;
      }
    }
    const str = buf.toString('utf8', start, end);
    if (this.size >= MAX_ENTRIES) {
      this.buckets.clear();
      this.size = 0;
    }
    const entry = { bytes: Uint8Array.prototype.slice.call(buf, start, end), str };
    if (bucket !== undefined && this.buckets.has(h)) bucket.push(entry);
    else this.buckets.set(h, [entry]);
    this.size++;
    return entry;
  }
}
