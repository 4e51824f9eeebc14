import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError, fromNodeError } from './errors.js';

/**
 * A cross-process exclusive lock: a file created with O_EXCL holding the owner's pid,
 * host, process start time and a random token.
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

  /** Acquires the lock at `lockPath` or throws `ELOCKED` naming the holder. */
  static async acquire(lockFile: string, options: LockOptions = {}): Promise<FileLock> {
    const lockPath = resolve(lockFile);
    const deadline = Date.now() + (options.waitMs ?? 0);
    const retryDelay = options.retryDelayMs ?? 25;
    for (;;) {
      options.signal?.throwIfAborted();
      const lock = await FileLock.#tryCreate(lockPath);
      if (lock !== undefined) return lock;
      const holder = await readLockOwner(lockPath);
      if (holder !== undefined && !heldHere.has(lockPath) && !isOwnerAlive(holder)) {
        await breakStaleLock(lockPath, holder.token);
        continue;
      }
      if (holder === undefined && (await ageMs(lockPath)) > 5_000) {
        // Unreadable for seconds: the creator died between create and write.
        await breakStaleLock(lockPath, undefined);
        continue;
      }
      if (Date.now() >= deadline) {
        const who = holder === undefined ? 'another process' : `pid ${holder.pid} on ${holder.hostname}`;
        throw new StorageError('ELOCKED', `lock is held by ${who}`, { path: lockPath });
      }
      await sleep(retryDelay, undefined, { signal: options.signal });
    }
  }

  static async #tryCreate(lockPath: string): Promise<FileLock | undefined> {
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      startTime: processStartTime(process.pid),
      acquiredAt: new Date().toISOString(),
      token: randomBytes(12).toString('hex'),
    };
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw fromNodeError(error, lockPath, 'create lock');
    }
    try {
      await handle.writeFile(JSON.stringify(owner));
    } finally {
      await handle.close();
    }
    heldHere.add(lockPath);
    return new FileLock(lockPath, owner);
  }

  get released(): boolean {
    return this.#released;
  }

  /** Releases the lock if this process still owns it; idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.path);
    const current = await readLockOwner(this.path);
    if (current?.token === this.owner.token) await fs.unlink(this.path).catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

/** The current holder of a lock file, or undefined if there is none (or it is unreadable). */
export async function readLockOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return undefined;
    return parsed as LockOwner;
  } catch {
    return undefined;
  }
}

export function isOwnerAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await fs.stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Removes a dead owner's lock file. Several processes may find the same stale lock at
 * once; a short-lived guard file serialises them, and the token is re-read under the
 * guard so that a lock freshly taken by a live process is never removed.
 */
async function breakStaleLock(lockPath: string, staleToken: string | undefined): Promise<void> {
  const guard = `${lockPath}.break`;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fromNodeError(error, guard, 'create lock guard');
    // Someone else is breaking it; a guard left by a crash goes after a few seconds.
    if ((await ageMs(guard)) > 5_000) await fs.unlink(guard).catch(() => undefined);
    await sleep(5);
    return;
  }
  try {
    await handle.close();
    const current = await readLockOwner(lockPath);
    if (current?.token === staleToken) await fs.unlink(lockPath).catch(() => undefined);
  } finally {
    await fs.unlink(guard).catch(() => undefined);
  }
}
