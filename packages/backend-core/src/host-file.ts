import { constants, fchmodSync, fchownSync, fstatSync, lstatSync, readlinkSync, realpathSync, unlinkSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { StorageError, fromNodeError } from './errors.js';

/**
 * Flags for every open that reads. O_NONBLOCK: opening a FIFO for reading otherwise waits
 * for a writer forever, holding a thread-pool thread (regular files ignore the flag).
 * O_NOFOLLOW: the path was resolved with realpath, so a symlink at its end can only be one
 * swapped in since; refuse it (ELOOP) instead of following it.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** What a non-regular, non-directory file is, for messages. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

/** The backend stores regular files and directories only; anything else is refused with EINVAL. */
export function notRegularFile(st: Stats, key: string): StorageError {
  return new StorageError('EINVAL', `${kindOf(st)} is neither a regular file nor a directory`, { path: key });
}

/** `EISDIR` for a directory, `EINVAL` for a FIFO, socket or device; nothing for a regular file. */
export function checkRegular(st: Stats, key: string): void {
  if (st.isFile()) return;
  if (st.isDirectory()) throw new StorageError('EISDIR', 'is a directory', { path: key });
  throw notRegularFile(st, key);
}

/**
 * The host path an open descriptor really refers to, read from `/proc/self/fd` (Linux),
 * or undefined where that is not available. Unlike a path checked before opening, this
 * cannot be changed under us by a directory swapped for a symlink in between.
 */
function pathOfDescriptor(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

export function isInside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** What `/proc/self/fd` appends to the path of a file that was unlinked (or renamed over) since. */
const DELETED = ' (deleted)';

/**
 * Checks, after opening, that `fd` is a file inside `root` (opened as `expected`): by its
 * `/proc/self/fd` link where there is one, else by comparing device and inode with what
 * `expected` resolves to now. Returns the host path the descriptor really has (for clean-up)
 * when it is outside the root, or undefined when it is inside.
 *
 * The link tells where the file is now, not where it was opened: another process may rename
 * it (inside the root) or replace or delete it between our open and this check. Any of
 * those leaves a file we opened legitimately, so what counts is only whether the file is
 * inside the root — which is all a directory swapped for a symlink could change.
 */
export function misplacedDescriptor(fd: number, root: string, expected: string): string | undefined {
  const actual = pathOfDescriptor(fd);
  if (actual !== undefined) {
    const now = actual.endsWith(DELETED) ? actual.slice(0, -DELETED.length) : actual;
    return isInside(root, expected) && isInside(root, now) ? undefined : actual;
  }
  try {
    const opened = fstatSync(fd);
    const real = realpathSync.native(expected);
    const there = lstatSync(real);
    return isInside(root, real) && there.dev === opened.dev && there.ino === opened.ino ? undefined : '';
  } catch {
    return '';
  }
}

function escaped(key: string): StorageError {
  return new StorageError('EACCES', 'path resolves outside the backend root (a directory was replaced by a symlink)', { path: key });
}

/**
 * Opens `real` (a realpath inside `root`) for reading without ever blocking, and refuses
 * anything but a regular file: `EISDIR`, `EINVAL` for a FIFO/socket/device, `EACCES` when
 * what got opened is not inside the root any more (a race with a directory swap).
 */
export async function openRegularForRead(real: string, root: string, key: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await fs.open(real, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENXIO: a UNIX socket (or a device without a driver) cannot be opened as a file at all.
    if (code === 'ENXIO') throw new StorageError('EINVAL', 'a socket or device is neither a regular file nor a directory', { path: key });
    if (code === 'ELOOP') throw escaped(key);
    throw fromNodeError(error, key, 'open');
  }
  try {
    const st = fstatSync(handle.fd);
    checkRegular(st, key);
    if (misplacedDescriptor(handle.fd, root, real) !== undefined) throw escaped(key);
    return { handle, size: st.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Right after a temp file was created at `temp` (descriptor `fd`): checks it really is
 * inside the root, removing it and refusing with `EACCES` if a directory swap put it
 * elsewhere, then gives it the mode and owner of the file it will replace (`target`), so
 * an atomic replace never widens permissions or hands the file to another user.
 */
export function prepareTemp(fd: number, temp: string, target: string, root: string, key: string): void {
  const actual = misplacedDescriptor(fd, root, temp);
  if (actual !== undefined) {
    if (actual !== '' && !actual.endsWith(' (deleted)')) {
      try {
        const here = lstatSync(actual);
        const opened = fstatSync(fd);
        if (here.dev === opened.dev && here.ino === opened.ino) unlinkSync(actual);
      } catch {
        // gone already
      }
    }
    throw escaped(key);
  }
  carryModeAndOwner(fd, target);
}

/** Copies the mode and (where permitted) owner of an existing regular file `target` onto `fd`. */
export function carryModeAndOwner(fd: number, target: string): void {
  const old = lstatSync(target, { throwIfNoEntry: false });
  if (old === undefined || !old.isFile()) return;
  const mine = fstatSync(fd);
  if (old.uid !== mine.uid || old.gid !== mine.gid) {
    try {
      fchownSync(fd, old.uid, old.gid);
    } catch {
      // EPERM: only root may give a file away; the new file keeps our owner, as with any writer.
    }
  }
  // After fchown, which may clear set-id bits; also restores bits the umask took off.
  if ((old.mode & 0o7777) !== (mine.mode & 0o7777) || old.uid !== mine.uid || old.gid !== mine.gid) fchmodSync(fd, old.mode & 0o7777);
}
