/**
 * Copies of vectors handed to callers, cut from shared 8 KiB ArrayBuffers the way Node pools
 * small Buffers: allocating an ArrayBuffer per `get` costs more than the rest of a cached get
 * (a new backing store each time). A vector from here is a `Float32Array` view with its own
 * `byteOffset`; code that needs the vector's bytes uses `byteOffset`/`byteLength` (or
 * `slice()` for a buffer of its own, e.g. to transfer it to a worker: transferring
 * `vector.buffer` would send the other vectors cut from that slab along). Larger vectors get
 * their own buffer. A pool slab is freed once no vector cut from it is reachable.
 */
const SLAB = 8192;
let slab = new ArrayBuffer(SLAB);
let used = 0;

export function copyVector(src: Float32Array): Float32Array {
  const bytes = src.byteLength;
  if (bytes > SLAB / 4) return src.slice();
  // byteLength 0: a caller transferred an earlier result's buffer (postMessage) and so
  // detached the slab; cut from a new one.
  if (used + bytes > SLAB || slab.byteLength === 0) {
    slab = new ArrayBuffer(SLAB);
    used = 0;
  }
  const v = new Float32Array(slab, used, src.length);
  used += (bytes + 7) & ~7;
  v.set(src);
  return v;
}
