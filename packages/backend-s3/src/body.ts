import { StorageError } from '@store/backend-core';

/**
 * Reads a GetObject body into one fresh Uint8Array of exactly the announced length. The
 * result owns its memory (no view into a pooled or shared buffer, so a caller mutating it
 * changes nothing else), and a body that ends early or runs long is an `EIO`, never bytes
 * that look like a file.
 */
export async function readBody(body: unknown, expectedLength: number | undefined, key: string): Promise<Uint8Array> {
  if (body === undefined || body === null) {
    if (expectedLength === undefined || expectedLength === 0) return new Uint8Array(0);
    throw new StorageError('EIO', `response had no body but announced ${expectedLength} bytes`, { path: key });
  }
  const stream = body as AsyncIterable<Uint8Array>;
  if (expectedLength !== undefined) {
    const out = new Uint8Array(expectedLength);
    let filled = 0;
    for await (const chunk of stream) {
      if (filled + chunk.byteLength > expectedLength) {
        destroy(body);
        throw new StorageError('EIO', `response body longer than its Content-Length ${expectedLength}`, { path: key, offset: expectedLength });
      }
      out.set(chunk, filled);
      filled += chunk.byteLength;
    }
    if (filled !== expectedLength) {
      throw new StorageError('EIO', `response body ended after ${filled} of ${expectedLength} bytes`, { path: key, offset: filled });
    }
    return out;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Releases the socket of a body we stop reading. */
export function destroy(body: unknown): void {
  (body as { destroy?: () => void } | undefined)?.destroy?.();
}
