import { randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, fsync as fsyncCb, fdatasync as fdatasyncCb, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fromNodeError } from '@store/backend-core';

const fsync = promisify(fsyncCb);
export const fdatasync = promisify(fdatasyncCb);

/** Temp files of this package: `.~tmp.` is the prefix backend-core reserves for writes in flight. */
export const TEMP_MARK = '.~tmp.mvcc.';
const token = randomBytes(6).toString('hex');
let counter = 0;

export function tempNameFor(file: string): string {
  counter += 1;
  return path.join(path.dirname(file), `${TEMP_MARK}${token}.${counter.toString(36)}`);
}

/** fsync of a folder on the calling thread. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` atomically: temp file, (fsync), rename, (fsync of the folder). With
 * `exclusive`, an existing `file` is left alone (link instead of rename; EEXIST ignored).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { sync: boolean; exclusive?: boolean }): Promise<void> {
  const temp = tempNameFor(file);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      if (options.sync) await handle.datasync();
    } finally {
      await handle.close();
    }
    if (options.exclusive === true) {
      try {
        await fs.link(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      await fs.unlink(temp);
    } else {
      await fs.rename(temp, file);
    }
    if (options.sync) await fsyncDir(path.dirname(file));
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw fromNodeError(error, file, 'write');
  }
}

/**
 * Writes a whole file in place (create or truncate), optionally with fdatasync of the file
 * and fsync of its folder. Used for version files, which nobody reads before their
 * transaction commits, so a torn write is harmless and no temp file is needed. With
 * `sync: true` the two syncs run in the libuv pool at the same time (both must finish before this resolves): the folder's entry
 * exists once the file is created, and on a journaling file system concurrent syncs can
 * share one journal commit instead of paying for two in a row.
 */
export async function writeFileDirect(file: string, data: Uint8Array, sync: boolean | 'inline'): Promise<void> {
  // Pages are small: synchronous open/write/close cost less than three pool round trips.
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (error) {
    throw fromNodeError(error, file, 'create');
  }
  try {
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done);
    if (sync === 'inline') {
      // On the calling thread, one after the other (see CommitLog.sync on why): once the
      // file's fdatasync has committed the new inode, the folder's fsync finds little to do.
      fdatasyncSync(fd);
      fsyncDirSync(path.dirname(file));
    } else if (sync) {
      // allSettled, not all: the descriptor must stay open until its fdatasync is over.
      const [ofFile, ofFolder] = await Promise.allSettled([fdatasync(fd), fsyncDir(path.dirname(file))]);
      if (ofFile.status === 'rejected') throw ofFile.reason;
      if (ofFolder.status === 'rejected') throw ofFolder.reason;
    }
  } catch (error) {
    throw fromNodeError(error, file, 'write');
  } finally {
    closeSync(fd);
  }
}

/** Temp file + rename with synchronous calls and no fsync, for small derived files. */
export function writeFileAtomicSync(file: string, text: string): void {
  const temp = tempNameFor(file);
  try {
    const fd = openSync(temp, 'wx');
    try {
      const data = Buffer.from(text, 'utf8');
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never created
    }
    throw fromNodeError(error, file, 'write');
  }
}
