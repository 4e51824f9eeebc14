/** Bodies under this size are copied into a fresh buffer: small allocations are cheap. */
const POOLED_FROM = 64 * 1024;

/**
 * Copies of request bodies, taken when `writeFile` is called (the SDK reads the body only
 * after awaits, and the caller may reuse its buffer meanwhile). A fresh multi-MiB buffer
 * costs page faults on every page: 6.5–7.5 ms to allocate and fill 4 MiB on the
 * development VM, against 0.4 ms to copy into a buffer used before. So large copies go
 * into buffers kept for reuse (power-of-two sizes, at most `maxBytes` kept in all), handed
 * back once the request that sent them has finished.
 */
export class BodyCopies {
  readonly #free = new Map<number, Uint8Array[]>();
  readonly #maxBytes: number;
  #kept = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** A copy of `data` and the function that hands its buffer back (call it once the body is no longer read). */
  copy(data: Uint8Array): { body: Uint8Array; release: () => void } {
    if (data.byteLength < POOLED_FROM) return { body: new Uint8Array(data), release: () => undefined };
    const size = 2 ** Math.ceil(Math.log2(data.byteLength));
    const reused = this.#free.get(size)?.pop();
    if (reused !== undefined) this.#kept -= size;
    const buffer = reused ?? new Uint8Array(size);
    buffer.set(data);
    let released = false;
    return {
      body: buffer.subarray(0, data.byteLength),
      release: () => {
        if (released || this.#kept + size > this.#maxBytes) return;
        released = true;
        this.#kept += size;
        const list = this.#free.get(size);
        if (list === undefined) this.#free.set(size, [buffer]);
        else list.push(buffer);
      },
    };
  }
}
