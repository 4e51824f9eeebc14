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

export class TagCache {
  private readonly buckets = new Map<number, Entry[]>();
  private size = 0;

  get(buf: Buffer, start: number, end: number): string {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const bucket = this.buckets.get(h);
    if (bucket !== undefined) {
      const len = end - start;
      outer: for (const entry of bucket) {
        const bytes = entry.bytes;
        if (bytes.length !== len) continue;
        for (let i = 0; i < len; i++) if (bytes[i] !== buf[start + i]) continue outer;
        return entry.str;
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
    return str;
  }
}
