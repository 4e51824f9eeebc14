import { FilesystemBackend, StorageError, type StorageBackend } from '@store/backend-core';
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
 * On a FilesystemBackend the check is the `fstat` of the descriptor the bytes were read from
 * (`readRangeWithStat`), so a directory swapped away and back between the stat and the read
 * cannot pair one file's size with another's bytes.
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
    const length = range.end - range.start + 1;
    if (backend instanceof FilesystemBackend) {
      // The descriptor's own stat: size and bytes of one file, even if a directory above was
      // swapped away and back between the stat above and the read (path stats before and
      // after would both have seen the first file).
      const read = await backend.readRangeWithStat(key, range.start, length);
      if (read.stat.size === BigInt(before.size) && Math.abs(Number(read.stat.mtimeNs) / 1e6 - before.mtimeMs) < 0.01 && read.data.byteLength === length) {
        return { kind: 'range', range, size: before.size, bytes: read.data };
      }
      continue;
    }
    const bytes = await backend.readRange(key, range.start, length);
    const after = await backend.stat(key).catch((error: unknown) => {
      if (error instanceof StorageError && error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (after !== undefined && !after.isDirectory && after.size === before.size && after.mtimeMs === before.mtimeMs && bytes.byteLength === length) {
      return { kind: 'range', range, size: before.size, bytes };
    }
  }
  return { kind: 'whole' };
}
