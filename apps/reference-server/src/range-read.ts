import { StorageError, type StorageBackend } from '@store/backend-core';
import { parseRange, type ByteRange } from './etag.js';

/** How often a range read is retried while the file keeps changing under it. */
const ATTEMPTS = 3;

export type RangeRead =
  | { kind: 'range'; range: ByteRange; size: number; bytes: Uint8Array }
  | { kind: 'unsatisfiable'; size: number }
  /** Not a range this server serves, or the file kept changing: answer from one whole read. */
  | { kind: 'whole' };

/**
 * Serves a `Range` from `stat` (the total size for `Content-Range`) and `readRange` (the
 * bytes): two calls, at two moments. A writer — another request, another process — may
 * replace the file in between, and the answer would pair the old size with the new bytes:
 * a slice of no file that ever existed. So the file is stat'ed again after the read, and
 * the answer is given only when size and mtime did not change; after a few changed attempts
 * the caller falls back to one whole read, which is consistent by itself.
 *
 * Limit: a replacement with the same size and the same `mtimeMs` (backends with one-second
 * clocks, two writes in the same second) cannot be seen this way.
 */
export async function readRangeConsistently(backend: StorageBackend, key: string, header: string): Promise<RangeRead> {
  if (backend.stat === undefined || backend.readRange === undefined) return { kind: 'whole' };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const before = await backend.stat(key);
    if (before.isDirectory) throw new StorageError('EISDIR', 'is a directory', { path: key });
    const range = parseRange(header, before.size);
    if (range === undefined) return { kind: 'whole' };
    // A 416 rests on the size alone: that size was true at this moment.
    if (range === 'unsatisfiable') return { kind: 'unsatisfiable', size: before.size };
    const bytes = await backend.readRange(key, range.start, range.end - range.start + 1);
    const after = await backend.stat(key).catch((error: unknown) => {
      if (error instanceof StorageError && error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (after !== undefined && !after.isDirectory && after.size === before.size && after.mtimeMs === before.mtimeMs && bytes.byteLength === range.end - range.start + 1) {
      return { kind: 'range', range, size: before.size, bytes };
    }
  }
  return { kind: 'whole' };
}
