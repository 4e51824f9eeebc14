/** Copies under this size go into a fresh buffer: small allocations are cheap. */
const POOLED_FROM = 64 * 1024;

/**
 * Copies of the bytes a `writeFile` is called with, for backends that write them only after
 * awaits (making parents, signing a request, a write of the same key ahead): the caller may
 * reuse its buffer as soon as the call returns, and what is stored must be what it passed
 * (conformance `SB-BYTES-07`). A fresh multi-MiB buffer costs page faults on every page:
 * 6.5–7.5 ms to allocate and fill 4 MiB on the development VM, against 0.4 ms to copy into
 * a buffer used before. So copies of 64 KiB or more go into buffers kept for reuse
 * (power-of-two sizes, at most `maxBytes` kept in all), handed back with `release()` once
 * the write no longer reads them.
 */
export class WriteCopies {
  readonly #free = new Map<number, Uint8Array[]>();
  readonly #maxBytes: number;
  #kept = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** A copy of `data` and the function that hands its buffer back (call it once the copy is no longer read). */
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
