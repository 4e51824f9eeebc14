/**
 * Orders operations per key: writes to one key run one after another (so a conditional
 * write's check and its write are not interleaved with another write), and a read waits
 * for the writes to its key that arrived before it (read-after-write across connections).
 */
export class KeyedChain {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier `write` for `key` has settled. */
  write<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const run = previous === undefined ? fn() : previous.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }

  /** Resolves once the writes to `key` issued so far have settled. */
  settled(key: string): Promise<void> | undefined {
    return this.#tails.get(key);
  }
}
