import { LRUCache } from 'lru-cache';

/**
 * The last ETag this backend saw at each object key (from its own PUTs, GETs and HEADs),
 * bounded and least-recently-used first out.
 *
 * A hint is never trusted, only offered to the store: `writeFile` sends it as `If-Match`,
 * and the store applies the PUT only if the key holds an object with that ETag *at that
 * moment*. An object at the key means the key is a file, so (with the backend's own rule
 * that no file and no directory share a name) no directory is at the key and no parent is
 * a file: exactly what the directory checks would have found. A stale hint (another client
 * replaced or deleted the object, or made a directory there) gets 412, and the write falls
 * back to the checks; a wrong hint can cost a round trip, never a wrong answer.
 */
export class EtagHints {
  readonly #cache: LRUCache<string, string>;

  constructor(max: number) {
    this.#cache = new LRUCache<string, string>({ max });
  }

  get(key: string): string | undefined {
    return this.#cache.get(key);
  }

  /** Records `etag` for `key`; `undefined` (the store gave none) forgets the key. */
  set(key: string, etag: string | undefined): void {
    if (etag === undefined || etag === '') this.#cache.delete(key);
    else this.#cache.set(key, etag);
  }

  forget(key: string): void {
    this.#cache.delete(key);
  }
}
