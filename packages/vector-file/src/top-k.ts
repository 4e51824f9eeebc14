/**
 * The k best (key, slot) pairs seen so far, in a bounded binary heap whose root is the
 * worst of them. "Better" means a higher key, or an equal key and a smaller id (ids
 * compare by UTF-16 code unit, as JavaScript's `<` does), so results are deterministic.
 */
export class TopK {
  readonly k: number;
  readonly #ids: readonly string[];
  readonly keys: Float64Array;
  readonly slots: Int32Array;
  size = 0;
  /** Key a candidate must reach to be considered: -Infinity until the heap is full. */
  threshold = Number.NEGATIVE_INFINITY;

  constructor(k: number, ids: readonly string[]) {
    this.k = k;
    this.#ids = ids;
    this.keys = new Float64Array(k);
    this.slots = new Int32Array(k);
  }

  /** True if (a, slotA) ranks below (b, slotB). */
  #worse(a: number, slotA: number, b: number, slotB: number): boolean {
    return a < b || (a === b && this.#ids[slotA]! > this.#ids[slotB]!);
  }

  offer(key: number, slot: number): void {
    if (key !== key) key = Number.NEGATIVE_INFINITY; // NaN (from overflowing values) ranks last
    const keys = this.keys;
    const slots = this.slots;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.#worse(key, slot, keys[parent]!, slots[parent]!)) break;
        keys[i] = keys[parent]!;
        slots[i] = slots[parent]!;
        i = parent;
      }
      keys[i] = key;
      slots[i] = slot;
      if (this.size === this.k) this.threshold = keys[0]!;
      return;
    }
    if (!this.#worse(keys[0]!, slots[0]!, key, slot)) return;
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#worse(keys[r]!, slots[r]!, keys[l]!, slots[l]!) ? r : l;
      if (!this.#worse(keys[c]!, slots[c]!, key, slot)) break;
      keys[i] = keys[c]!;
      slots[i] = slots[c]!;
      i = c;
    }
    keys[i] = key;
    slots[i] = slot;
    this.threshold = keys[0]!;
  }

  /** The entries, best first. */
  sorted(): { key: number; slot: number }[] {
    const out: { key: number; slot: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ key: this.keys[i]!, slot: this.slots[i]! });
    out.sort((a, b) => (this.#worse(a.key, a.slot, b.key, b.slot) ? 1 : this.#worse(b.key, b.slot, a.key, a.slot) ? -1 : 0));
    return out;
  }
}
