import { constants, fstatSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError, fromNodeError } from './errors.js';

/**
 * A cross-process exclusive lock: a lock file holding the owner's pid, host, process
 * start time and a random token. The file is written in full under a temporary name
 * and then hard-linked into place (`link` fails if the name exists), so a lock file
 * never exists half-written and creating it is one atomic step.
 *
 * Why not mtime-based locks (proper-lockfile and friends): they need a timer touching
 * the file and make a crashed owner block everyone for the whole stale period. Here a
 * lock whose owner process is gone is taken over at once: the pid no longer exists, or
 * exists with another start time (pid reuse). A lock held from another host is never
 * broken automatically, since its pid means nothing here.
 */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Kernel start time of the owner process (Linux), to detect pid reuse. */
  startTime: string | null;
  acquiredAt: string;
  token: string;
}

export interface LockOptions {
  /** How long to keep trying while another live process holds the lock. Default 0: fail at once. */
  waitMs?: number;
  /** Delay between attempts while waiting. */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

/** Locks held by this process, so a second acquire in the same process also fails. */
const heldHere = new Set<string>();

export class FileLock implements AsyncDisposable {
  readonly path: string;
  readonly owner: LockOwner;
  #released = false;

  private constructor(path: string, owner: LockOwner) {
    this.path = path;
    this.owner = owner;
  }

  /** Acquires the lock at `lockFile` or throws `ELOCKED` naming the holder. */
  static async acquire(lockFile: string, options: LockOptions = {}): Promise<FileLock> {
    const lockPath = resolve(lockFile);
    const deadline = Date.now() + (options.waitMs ?? 0);
    const retryDelay = options.retryDelayMs ?? 25;
    for (;;) {
      options.signal?.throwIfAborted();
      const owner = newOwner();
      if (await createExclusive(lockPath, owner)) {
        heldHere.add(lockPath);
        return new FileLock(lockPath, owner);
      }
      const holder = await readHolder(lockPath);
      if (holder !== undefined && !heldHere.has(lockPath) && !isOwnerAlive(holder.owner)) {
        await breakStaleLock(lockPath, holder);
        continue;
      }
      if (holder === undefined && (await exists(lockPath)) === false) continue; // released meanwhile
      if (Date.now() >= deadline) {
        const who = holder === undefined ? 'an unreadable lock file (remove it if no process uses it)' : `pid ${holder.owner.pid} on ${holder.owner.hostname}`;
        throw new StorageError('ELOCKED', `lock is held by ${who}`, { path: lockPath });
      }
      await sleep(retryDelay, undefined, { signal: options.signal });
    }
  }

  get released(): boolean {
    return this.#released;
  }

  /** Releases the lock if this process still owns it; idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.path);
    const current = await readHolder(this.path);
    if (current?.owner.token === this.owner.token) await fs.unlink(this.path).catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

function newOwner(): LockOwner {
  return {
    pid: process.pid,
    hostname: hostname(),
    startTime: processStartTime(process.pid),
    acquiredAt: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
}

/** Writes `owner` to a temp file and links it to `target`; false if `target` exists. */
async function createExclusive(target: string, owner: LockOwner): Promise<boolean> {
  const temp = `${target}.${owner.token}.tmp`;
  try {
    await fs.writeFile(temp, JSON.stringify(owner), { flag: 'wx' });
    await fs.link(temp, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromNodeError(error, target, 'create lock');
  } finally {
    await fs.unlink(temp).catch(() => undefined);
  }
}

interface Holder {
  owner: LockOwner;
  /** Inode of the file the owner was read from, so we never remove a newer lock by mistake. */
  ino: number;
}

/** Reads a lock file's owner and inode together (one open file), or undefined. */
async function readHolder(lockPath: string): Promise<Holder | undefined> {
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted at the lock path would otherwise block this open forever.
    handle = await fs.open(lockPath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(handle.fd);
    if (!st.isFile()) return undefined; // not a lock file we wrote: never read, never broken
    const text = await handle.readFile('utf8');
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return undefined;
    return { owner: parsed as LockOwner, ino: st.ino };
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** The current holder of a lock file, or undefined if there is none (or it is unreadable). */
export async function readLockOwner(lockPath: string): Promise<LockOwner | undefined> {
  return (await readHolder(lockPath))?.owner;
}

export function isOwnerAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: a process with this pid exists but belongs to another user. It may still be
    // a reused pid, which the start time below tells.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStartTime(owner.pid);
  return owner.startTime === null || start === null || start === owner.startTime;
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (Linux only). */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; skip past its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

/** Unlinks `file` only if it is still the inode we inspected (the window is one stat). */
async function unlinkIfSame(file: string, ino: number): Promise<void> {
  const st = await fs.stat(file).catch(() => undefined);
  if (st?.ino === ino) await fs.unlink(file).catch(() => undefined);
}

/**
 * Removes a dead owner's lock file. Several processes may find the same stale lock at
 * once; a guard (itself a small lock, created the same atomic way) lets one of them
 * break it, and the lock is re-read under the guard so that a lock freshly taken by a
 * live process is never removed. A guard left by a breaker that died is itself broken
 * by the same pid test.
 */
async function breakStaleLock(lockPath: string, stale: Holder): Promise<void> {
  const guard = `${lockPath}.break`;
  const me = newOwner();
  if (!(await createExclusive(guard, me))) {
    const guardHolder = await readHolder(guard);
    if (guardHolder !== undefined && !isOwnerAlive(guardHolder.owner)) await unlinkIfSame(guard, guardHolder.ino);
    await sleep(2);
    return;
  }
  try {
    const current = await readHolder(lockPath);
    if (current !== undefined && current.ino === stale.ino && current.owner.token === stale.owner.token) {
      await unlinkIfSame(lockPath, stale.ino);
    }
  } finally {
    await fs.unlink(guard).catch(() => undefined);
  }
}
