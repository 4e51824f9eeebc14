import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { FileLock, fromNodeError, type LockOwner } from '@store/backend-core';

/**
 * The commit lock, held only while a commit validates and appends its record. It uses
 * backend-core's FileLock file protocol (owner JSON written in full, linked into place),
 * with one difference: the uncontended path runs with synchronous calls, because the
 * lock is held for well under a millisecond and a round trip through the libuv pool per
 * step would cost more than the critical section. When the lock is taken, FileLock
 * itself waits, and takes over a lock whose owner process died.
 */
export class CommitLock {
  readonly #file: string;
  readonly #startTime: string | null;

  constructor(file: string, startTime: string | null) {
    this.#file = file;
    this.#startTime = startTime;
  }

  async acquire(waitMs: number): Promise<() => Promise<void>> {
    const owner: LockOwner = { pid: process.pid, hostname: hostname(), startTime: this.#startTime, acquiredAt: new Date().toISOString(), token: randomBytes(12).toString('hex') };
    const temp = `${this.#file}.${owner.token}.tmp`;
    let linked = false;
    try {
      writeFileSync(temp, JSON.stringify(owner), { flag: 'wx' });
      linkSync(temp, this.#file);
      linked = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fromNodeError(error, this.#file, 'create lock');
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
    if (linked) return async () => this.#releaseFast(owner.token);
    const lock = await FileLock.acquire(this.#file, { waitMs, retryDelayMs: 1 });
    return () => lock.release();
  }

  #releaseFast(token: string): void {
    try {
      const current = JSON.parse(readFileSync(this.#file, 'utf8')) as { token?: string };
      if (current.token === token) unlinkSync(this.#file);
    } catch {
      // taken over (we were presumed dead) or already gone
    }
  }
}
