import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import nodePath from 'node:path';
import { fromNodeError, fsyncDirectory } from '@store/backend-core';
import { TOKEN_SIZE, encodeFileHeader } from './format.js';

// File steps of the vector file that are not about records: whole writes, creating a file
// atomically, and removing the temp files a killed writer left.

/** Writes all of `b[from, from + length)` at `position` (a short write is continued). */
export function writeAll(fd: number, b: Uint8Array, from: number, length: number, position: number, path: string): void {
  try {
    let done = 0;
    while (done < length) done += writeSync(fd, b, from + done, length - done, position + done);
  } catch (error) {
    throw fromNodeError(error, path, 'write');
  }
}

/** Creates the file with its header in one step (temp file, fsync, rename), so it never exists half-made. */
export async function createFile(path: string, dimension: number): Promise<void> {
  const tmp = `${path}.create-${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx');
    try {
      const header = encodeFileHeader({ dimension, token: randomBytes(TOKEN_SIZE), created: Date.now() });
      writeAll(fd, header, 0, header.length, 0, tmp);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw fromNodeError(error, path, 'create');
  }
  await fsyncDirectory(nodePath.dirname(nodePath.resolve(path)));
}

/** Temp files of a compaction, creation or index write that a killed writer left (we hold the lock). */
export function removeLeftovers(path: string): void {
  const dir = nodePath.dirname(path);
  const base = nodePath.basename(path);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return;
    names = readdirSync(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^${escapeRegExp(base)}(\\.compact-|\\.create-|\\.idx\\.)[0-9a-f]{12}(\\.tmp)?$`);
  for (const name of names) {
    if (pattern.test(name)) {
      try {
        unlinkSync(nodePath.join(dir, name));
      } catch {
        // gone already
      }
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
