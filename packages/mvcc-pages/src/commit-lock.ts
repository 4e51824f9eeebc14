import { closeSync, fstatSync, linkSync, openSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileLock, fromNodeError, isOwnerAlive, readLockOwner } from '@store/backend-core';

/**
 * The commit lock, held only while a commit validates and appends its record.
 *
 * It follows backend-core's FileLock file protocol — the lock file holds its owner's JSON
 * (pid, host, process start time, token) in full from the moment it appears, because it
 * is hard-linked into place and `link` fails if the name exists — with one saving: the
 * file linked is the store's registration lock (`procs/<token>.lock`), which already
 * holds exactly that owner JSON and lives as long as the store. So taking the lock is one
 * `link` and releasing it an `fstat` and an `unlink`, instead of writing, linking and
 * removing a fresh temp file and reading it back every commit. The release checks that
 * the lock is still ours before removing it: the owner file's link count, read with
 * `fstat` on a descriptor kept open (no path lookup), is 2 exactly while `commit.lock`
 * names it — only we link it, and a process that took the lock over from us (presuming
 * us dead) removed our link first.
 *
 * Attempts run with synchronous calls: the lock is held for well under a millisecond, and
 * a round trip through the libuv pool per step would cost more than the critical section.
 * While it is held, attempts repeat every ~1 ms; every 16th attempt (and at the deadline)
 * the holder is examined, and if its process is gone FileLock takes the lock over (and at
 * the deadline answers ELOCKED).
 */
export class CommitLock {
  readonly #file: string;
  readonly #ownerFile: string;
  /** Read-only descriptor of the owner file, for the link-count check on release. */
  #ownerFd: number | undefined;

  /** `ownerFile`: a file holding this store's FileLock owner JSON, kept while the store is open (its registration lock). */
  constructor(file: string, ownerFile: string) {
    this.#file = file;
    this.#ownerFile = ownerFile;
  }

  async acquire(waitMs: number): Promise<() => Promise<void>> {
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      if (this.#tryLink()) return async () => this.#releaseFast();
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

  /** One attempt to link the owner file as the lock; false if the lock exists. */
  #tryLink(): boolean {
    try {
      this.#ownerFd ??= openSync(this.#ownerFile, 'r');
      linkSync(this.#ownerFile, this.#file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fromNodeError(error, this.#file, 'create lock');
      return false;
    }
  }

  #releaseFast(): void {
    try {
      if (fstatSync(this.#ownerFd!).nlink === 2) unlinkSync(this.#file);
    } catch {
      // already gone
    }
    // else taken over (we were presumed dead): the lock file is someone else's now
  }

  /** Closes the owner file's descriptor (the store is closing; no commit is in flight). */
  close(): void {
    if (this.#ownerFd !== undefined) closeSync(this.#ownerFd);
    this.#ownerFd = undefined;
  }
}
