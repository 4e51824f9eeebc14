/**
 * Runs the mutations of one key one after another, in call order, so that writes to a key
 * issued through one backend take effect in the order they were called even when the
 * caller does not await them: S3 keeps whichever PUT *completes* last, and two PUTs in
 * flight at once may complete in either order. Different keys run concurrently.
 */
export class KeyQueue {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous === undefined ? operation() : previous.then(operation);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves once every call queued so far has settled. */
  async drain(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}
