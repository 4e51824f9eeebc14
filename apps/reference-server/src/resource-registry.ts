import { StorageError } from '@store/backend-core';

/** Anything the registry can hold: it must be closable. */
export interface Closable {
  close(): Promise<void>;
}

interface Entry<T extends Closable> {
  key: string;
  /** Resolves to the opened resource; rejects if opening failed (the entry is then dropped). */
  opening: Promise<T>;
  value: T | undefined;
  users: number;
  lastUsed: number;
  closing: Promise<void> | undefined;
}

/** A borrowed resource; call `release()` exactly once when done (also via `using`). */
export interface Lease<T> {
  readonly value: T;
  release(): void;
  [Symbol.dispose](): void;
}

export interface ResourceRegistryOptions {
  /** Most open resources; beyond it the least recently used idle ones are closed. */
  maxOpen: number;
  /** Idle resources (no lease) older than this are closed by a periodic sweep. */
  idleCloseMs: number;
  /** Receives errors from closing resources in the background (they have no caller to throw to). */
  onError?: (error: unknown, key: string) => void;
}

/**
 * One open handle per key, opened on first use, shared by concurrent requests, closed when
 * idle or when the LRU bound is exceeded, and all closed at shutdown. Event logs need this:
 * a log allows one writer, so every request for a log must go through the same instance.
 *
 * A resource with active leases is never closed under its users; if every open resource is
 * leased, the bound is exceeded until leases return (refusing would fail requests that
 * would succeed a moment later).
 */
export class ResourceRegistry {
  readonly #entries = new Map<string, Entry<Closable>>();
  readonly #options: ResourceRegistryOptions;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: ResourceRegistryOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.#sweep(), Math.max(50, Math.min(options.idleCloseMs, 5_000)));
    this.#timer.unref();
  }

  /** Number of open (or opening) resources. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `key` is open (or opening). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /**
   * Borrows the resource under `key`, opening it with `open` if it is not open. Every
   * concurrent caller for one key gets the same instance.
   */
  async acquire<T extends Closable>(key: string, open: () => Promise<T>): Promise<Lease<T>> {
    for (;;) {
      if (this.#closed) throw new StorageError('ECLOSED', 'the server is shutting down');
      let entry = this.#entries.get(key) as Entry<T> | undefined;
      if (entry?.closing !== undefined) {
        // Being closed (idle or LRU): wait, then open afresh.
        await entry.closing;
        continue;
      }
      if (entry === undefined) {
        entry = { key, opening: open(), value: undefined, users: 0, lastUsed: Date.now(), closing: undefined };
        const created = entry;
        this.#entries.set(key, created as Entry<Closable>);
        created.opening.then(
          (v) => (created.value = v),
          () => {
            if (this.#entries.get(key) === (created as Entry<Closable>)) this.#entries.delete(key);
          },
        );
        this.#evict();
      } else {
        // Most recently used moves to the end of the map's order.
        this.#entries.delete(key);
        this.#entries.set(key, entry as Entry<Closable>);
      }
      entry.users++;
      let value: T;
      try {
        value = await entry.opening;
      } catch (error) {
        entry.users--;
        throw error;
      }
      const leased = entry;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        leased.users--;
        leased.lastUsed = Date.now();
      };
      return { value, release, [Symbol.dispose]: release };
    }
  }

  /** Closes the resource under `key` once its leases are returned (e.g. before deleting its files). */
  async close(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry !== undefined) await this.#close(entry);
  }

  /** Closes every resource (waiting for none of the leases: call after requests have finished). */
  async closeAll(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const errors: unknown[] = [];
    await Promise.all(
      [...this.#entries.values()].map((e) =>
        this.#close(e, true).catch((error: unknown) => {
          errors.push(error);
        }),
      ),
    );
    if (errors.length > 0) throw errors[0];
  }

  #close(entry: Entry<Closable>, force = false): Promise<void> {
    entry.closing ??= (async () => {
      try {
        const value = await entry.opening.catch(() => undefined);
        // Wait for leases (bounded by the requests holding them) unless forced at shutdown.
        while (!force && entry.users > 0) await new Promise((r) => setTimeout(r, 10));
        await value?.close();
      } finally {
        if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
      }
    })();
    return entry.closing;
  }

  #closeInBackground(entry: Entry<Closable>): void {
    this.#close(entry).catch((error: unknown) => this.#options.onError?.(error, entry.key));
  }

  /** Closes least recently used idle resources while over the bound. */
  #evict(): void {
    let over = this.#entries.size - this.#options.maxOpen;
    if (over <= 0) return;
    for (const entry of this.#entries.values()) {
      if (over <= 0) break;
      if (entry.users === 0 && entry.value !== undefined && entry.closing === undefined) {
        this.#closeInBackground(entry);
        over--;
      }
    }
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#options.idleCloseMs;
    for (const entry of this.#entries.values()) {
      if (entry.users === 0 && entry.value !== undefined && entry.closing === undefined && entry.lastUsed <= cutoff) {
        this.#closeInBackground(entry);
      }
    }
  }
}
