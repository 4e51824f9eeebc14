import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FileLock, StorageError } from '@store/backend-core';
import { writeFileAtomic } from './fs-util.js';
import type { ProcessRegistry } from './registry.js';

/**
 * TSNs come from a durable counter, `.mvcc/tsn.json` = `{ "next": N }`. A store takes a
 * block of TSNs at a time (`TSN_BLOCK`, doubling up to `TSN_BLOCK_MAX`) under `.mvcc/tsn.lock`: it records the block in its
 * registration first and then moves the counter (fsynced), so every TSN below the
 * counter belongs to a registered block, and a TSN is never handed out twice, not even
 * after a machine crash.
 */
export const TSN_BLOCK = 128;
/**
 * Each further block of a store is twice the last, up to this: a reservation costs a lock,
 * a registration write and two fsyncs (counter and folder), which a store committing
 * back to back would otherwise pay every 128 commits. TSNs are only names, so a larger
 * block left unused by a crash costs nothing but numbers.
 */
export const TSN_BLOCK_MAX = 4096;

export class TsnAllocator {
  readonly #dir: string;
  readonly #registry: ProcessRegistry;
  #next = 0;
  #end = 0;
  #refill: Promise<void> | undefined;
  #blockSize = TSN_BLOCK;

  constructor(dir: string, registry: ProcessRegistry) {
    this.#dir = dir;
    this.#registry = registry;
  }

  async next(): Promise<number> {
    while (this.#next >= this.#end) {
      this.#refill ??= this.#reserve().finally(() => {
        this.#refill = undefined;
      });
      await this.#refill;
    }
    return this.#next++;
  }

  async #reserve(): Promise<void> {
    const lock = await FileLock.acquire(path.join(this.#dir, 'tsn.lock'), { waitMs: 30_000, retryDelayMs: 2 });
    try {
      const first = readCounter(this.#dir);
      const block: [number, number] = [first, first + this.#blockSize];
      this.#blockSize = Math.min(TSN_BLOCK_MAX, this.#blockSize * 2);
      this.#registry.update({ blocks: [...this.#registry.entry.blocks, block] });
      await this.#registry.flush();
      await writeFileAtomic(path.join(this.#dir, 'tsn.json'), `${JSON.stringify({ next: block[1] })}\n`, { sync: true });
      this.#next = block[0];
      this.#end = block[1];
    } finally {
      await lock.release();
    }
  }
}

/** The counter: TSNs below it were handed out (TSN 0 is never used). */
export function readCounter(dir: string): number {
  const file = path.join(dir, 'tsn.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 1;
    throw error;
  }
  let next: unknown;
  try {
    next = (JSON.parse(text) as { next?: unknown }).next;
  } catch {
    next = undefined;
  }
  if (!Number.isSafeInteger(next) || (next as number) < 1) throw new StorageError('ECORRUPT', 'TSN counter is damaged', { path: file, field: 'next' });
  return next as number;
}
