/** One call's place in the per-key order: wait for `ready`, do the visible step, then `release()`. */
export interface Turn {
  /** Settles once every earlier call on the same keys has released (never rejects); undefined if none. */
  readonly ready: Promise<unknown> | undefined;
  release(): void;
}

/**
 * Makes mutations of one key take effect in the order they were called, even when the
 * caller does not await them: a call registers synchronously (in call order), may do its
 * slow work (writing a temp file) in parallel with the others, and waits only before its
 * visible step (the rename or unlink) for the earlier calls on the same keys. Without it a
 * large write issued first would land after a small write issued second.
 */
export class CallOrder {
  readonly #tails = new Map<string, Promise<void>>();

  /** Must be called synchronously at the start of the public call, before any await. */
  enter(keys: readonly string[]): Turn {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const before: Promise<void>[] = [];
    for (const key of keys) {
      const previous = this.#tails.get(key);
      // `previous === mine` when a key is listed twice (a rename onto itself): not a wait on itself.
      if (previous !== undefined && previous !== mine && !before.includes(previous)) before.push(previous);
      this.#tails.set(key, mine);
    }
    const tails = this.#tails;
    return {
      ready: before.length === 0 ? undefined : before.length === 1 ? before[0] : Promise.all(before),
      release() {
        release();
        for (const key of keys) if (tails.get(key) === mine) tails.delete(key);
      },
    };
  }
}
