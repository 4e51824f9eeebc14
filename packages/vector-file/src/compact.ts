import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import nodePath from 'node:path';
import { StorageError, fromNodeError, fsyncDirectory } from '@store/backend-core';
import { FILE_HEADER_SIZE, TOKEN_SIZE, encodeFileHeader } from './format.js';
import { writeAll } from './files.js';
import { OffsetIndex } from './offset-index.js';
import { ChunkBuffer, SCAN_CHUNK, scanRecords } from './record-scan.js';

/** The file being compacted, as its writer sees it. */
export interface CompactSource {
  path: string;
  fd: number;
  /** Bytes of valid data (header and records). */
  size: number;
  dimension: number;
  /** Live id → offset: a record is copied only if the index points at it. */
  offsets: OffsetIndex;
  /** Skip damaged records instead of stopping with `ECORRUPT`. */
  repair: boolean;
}

/**
 * Compaction: the live records of `source`, byte for byte, into a temp file beside it
 * (new file token, fsync), renamed over the file; a reader sees the old file or the new
 * one, never a mix. Right after the rename `swap(size, token, offsets)` is called (no await
 * in between) so the writer moves to the new file before anything else can run. On an error
 * before the rename the temp file is removed and the old file is untouched.
 */
export function compactFile(
  source: CompactSource,
  onProgress: ((done: number, total: number) => void) | undefined,
  swap: (size: number, token: Uint8Array, offsets: OffsetIndex) => void,
): { bytesBefore: number; bytesAfter: number; vectors: number } {
  const { path, repair, offsets } = source;
  const dir = nodePath.dirname(path);
  const tmp = `${path}.compact-${randomBytes(6).toString('hex')}.tmp`;
  const token = randomBytes(TOKEN_SIZE);
  const bytesBefore = source.size;
  const newOffsets = new OffsetIndex(offsets.size);
  let out: number;
  let written = FILE_HEADER_SIZE;
  try {
    out = openSync(tmp, 'wx');
  } catch (error) {
    throw fromNodeError(error, tmp, 'create');
  }
  try {
    const header = encodeFileHeader({ dimension: source.dimension, token, created: Date.now() });
    writeAll(out, header, 0, header.length, 0, tmp);
    const pending = new ChunkBuffer(SCAN_CHUNK);
    let used = 0;
    const flush = (): void => {
      writeAll(out, pending.bytes, 0, used, written, tmp);
      written += used;
      used = 0;
    };
    let lastReport = 0;
    scanRecords(source.fd, FILE_HEADER_SIZE, source.size, path, {
      record(b, _v, p, f, offset) {
        if (f.deleted || offsets.get(f.id) !== offset) return;
        if (used + f.size > pending.bytes.length) flush();
        newOffsets.set(f.id, written + used);
        if (f.size > pending.bytes.length) {
          writeAll(out, b, p, f.size, written, tmp);
          written += f.size;
        } else {
          b.copy(pending.bytes, used, p, p + f.size);
          used += f.size;
        }
        if (onProgress !== undefined && offset - lastReport >= SCAN_CHUNK) {
          lastReport = offset;
          onProgress(offset, bytesBefore);
        }
      },
      problem(offset, reason, resumeAt) {
        if (repair && resumeAt !== undefined) return true;
        throw new StorageError('ECORRUPT', `${reason}; compaction stopped`, { path, offset });
      },
    });
    flush();
    if (newOffsets.size !== offsets.size) throw new StorageError('ECORRUPT', `${offsets.size - newOffsets.size} indexed vectors have no valid record; compaction stopped`, { path });
    fsyncSync(out);
    closeSync(out);
    out = -1;
    renameSync(tmp, path);
    onProgress?.(bytesBefore, bytesBefore);
    // The caller swaps to the new file here, synchronously: nothing can interleave until its maps match it.
    swap(written, token, newOffsets);
  } catch (error) {
    if (out >= 0) closeSync(out);
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw error;
  }
  // Durability of the rename itself; best effort after the swap (the old file is gone either way).
  void fsyncDirectory(dir).catch(() => undefined);
  return { bytesBefore, bytesAfter: written, vectors: newOffsets.size };
}
