import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileLock, fromNodeError, isOwnerAlive, readLockOwner, type LockOwner } from '@store/backend-core';

/**
 * The commit lock, held only while a commit validates and appends its record. It uses
 * backend-core's FileLock file protocol (owner JSON written in full, linked into place),
 * with one difference: attempts run with synchronous calls, because the lock is held for
 * well under a millisecond and a round trip through the libuv pool per step would cost
 * more than the critical section. While it is held, attempts repeat every ~1 ms; every
 * 16th attempt (and at the deadline) the holder is examined, and if its process is gone
 * FileLock takes the lock over (and at the deadline answers ELOCKED).
 */
export class CommitLock {
  readonly #file: string;
  readonly #startTime: string | null;

  constructor(file: string, startTime: string | null) {
    this.#file = file;
    this.#startTime = startTime;
  }

  async acquire(waitMs: number): Promise<() => Promise<void>> {
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const token = this.#tryCreate();
      if (token !== undefined) return async () => this.#releaseFast(token);
      // Held. Poll cheaply (the holder is done in well under a millisecond, unless it died);
      // now and then let FileLock look at the holder: it takes over a dead owner's lock.
      if (attempt % 16 === 15 || Date.now() >= deadline) {
        const holder = await readLockOwner(this.#file);
        if (holder === undefined || !isOwnerAlive(holder) || Date.now() >= deadline) {
          const lock = await FileLock.acquire(this.#file, { waitMs: Math.max(0, deadline - Date.now()), retryDelayMs: 1 });
          return () => lock.release();
        }
      }
      await sleep(attempt < 4 ? 0 : 1);
    }
  }

  /** One attempt to create the lock file; its token on success, undefined if it exists. */
  #tryCreate(): string | undefined {
    const owner: LockOwner = { pid: process.pid, hostname: hostname(), startTime: this.#startTime, acquiredAt: new Date().toISOString(), token: randomBytes(12).toString('hex') };
    const temp = `${this.#file}.${owner.token}.tmp`;
    try {
      writeFileSync(temp, JSON.stringify(owner), { flag: 'wx' });
      linkSync(temp, this.#file);
      return owner.token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fromNodeError(error, this.#file, 'create lock');
      return undefined;
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
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
