/**
 * Orders operations per key: writes to one key run one after another (so a conditional
 * write's check and its write are not interleaved with another write), and a read waits
 * for the writes to its key that arrived before it (read-after-write across connections).
 */
export class KeyedChain {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` after every earlier `write` for `key` (or for any of `key`'s entries, for a
   * call that touches several keys, like a rename) has settled; later calls on any of
   * them wait for this one.
   */
  write<T>(key: string | readonly string[], fn: () => Promise<T>): Promise<T> {
    if (typeof key === 'string') return this.#writeOne(key, fn);
    const keys = [...new Set(key)];
    const previous = keys.map((k) => this.#tails.get(k)).filter((p): p is Promise<void> => p !== undefined);
    const run = previous.length === 0 ? fn() : (previous.length === 1 ? previous[0]! : Promise.all(previous)).then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    for (const k of keys) this.#tails.set(k, tail);
    void tail.then(() => {
      for (const k of keys) if (this.#tails.get(k) === tail) this.#tails.delete(k);
    });
    return run;
  }

  /**
   * The one-key case (every PUT and DELETE): one promise and one closure for the tail,
   * which also removes itself from the map once settled, instead of arrays and a second
   * promise per call.
   */
  #writeOne<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const run = previous === undefined ? fn() : previous.then(fn);
    const settle = (): void => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail: Promise<void> = run.then(settle, settle);
    this.#tails.set(key, tail);
    return run;
  }

  /** Resolves once the writes to `key` issued so far have settled. */
  settled(key: string): Promise<void> | undefined {
    return this.#tails.get(key);
  }
}
