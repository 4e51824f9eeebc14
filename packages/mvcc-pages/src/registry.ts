import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, unlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { FileLock, StorageError, isOwnerAlive, type LockOwner } from '@store/backend-core';
import { writeFileAtomic } from './fs-util.js';

/**
 * Each open (writable) store registers itself in `.mvcc/procs/<token>.json`:
 *
 *   { owner, blocks, horizon, ops }
 *
 * - `owner`: pid, host and process start time (from backend-core's FileLock, which the
 *   store holds on `<token>.lock`), so others can tell whether it is still alive.
 * - `blocks`: the TSN ranges `[first, end)` it reserved. A version file whose TSN lies
 *   in a live store's block may belong to a running transaction; outside every live
 *   block and not committed, it is debris of a dead or rolled-back transaction.
 * - `horizon` and `snapshots`: every snapshot the store has open is in `snapshots` or at
 *   or above `horizon`, and every snapshot it will open is at or above `horizon` (the
 *   newest commit it knew when writing the file). Cleanup removes a version only if no
 *   snapshot allowed by this can see it.
 * - `ops`: per namespace, how many of its transactions are touching it, which
 *   `deleteNamespace`/`renameNamespace` in other processes wait for.
 *
 * The file is rewritten atomically (temp + rename) but not fsynced: it only matters
 * while its process lives, and a machine crash ends every process anyway.
 */
/** Delay of lazy registration writes (lower horizons, lower op counts). */
export const FLUSH_DELAY_MS = 500;

export interface ProcessEntry {
  owner: LockOwner;
  blocks: [number, number][];
  horizon: number;
  /** Snapshots of open transactions below `horizon`. */
  snapshots: number[];
  ops: Record<string, number>;
}

export interface PeerEntry extends ProcessEntry {
  token: string;
  file: string;
  alive: boolean;
}

export class ProcessRegistry {
  readonly dir: string;
  readonly token: string;
  readonly #lock: FileLock;
  #entry: ProcessEntry;
  #writing: Promise<void> | undefined;
  #dirty = false;
  #closed = false;
  /** `ops` as of the last completed write: an increment from 0 there must be written before it counts. */
  #opsOnDisk: Record<string, number> = {};
  #timer: NodeJS.Timeout | undefined;
  #writes = 0;
  /** The file holds some operation count above the one in memory (see `#writeOnce`). */
  #opsHigh = false;
  /** Counts updates and flush requests; a write covers those counted when it started. */
  #gen = 0;
  /** `#gen` as of the start of the last completed write. */
  #writtenGen = 0;

  private constructor(dir: string, token: string, lock: FileLock, entry: ProcessEntry) {
    this.dir = dir;
    this.token = token;
    this.#lock = lock;
    this.#entry = entry;
  }

  static async register(dir: string, horizon: number): Promise<ProcessRegistry> {
    const token = randomBytes(8).toString('hex');
    const lock = await FileLock.acquire(path.join(dir, `${token}.lock`));
    const registry = new ProcessRegistry(dir, token, lock, { owner: lock.owner, blocks: [], horizon, snapshots: [], ops: {} });
    await registry.flush();
    return registry;
  }

  /** Counts one more operation on `ns`; when the file said 0, it is rewritten before the returned promise resolves (undefined: nothing to wait for). */
  opStarted(ns: string): Promise<void> | undefined {
    const ops = { ...this.#entry.ops, [ns]: (this.#entry.ops[ns] ?? 0) + 1 };
    this.update({ ops });
    return (this.#opsOnDisk[ns] ?? 0) === 0 ? this.flush() : undefined;
  }

  /** Counts one operation on `ns` less; written lazily (a count too high only makes others wait). */
  opEnded(ns: string): void {
    const n = (this.#entry.ops[ns] ?? 0) - 1;
    const ops = { ...this.#entry.ops };
    if (n <= 0) delete ops[ns];
    else ops[ns] = n;
    this.update({ ops });
    this.flushSoon();
  }

  /**
   * Writes the entry within ~0.5 s, coalescing bursts: a process running transaction after
   * transaction on a namespace keeps its count on disk above 0 instead of writing 1, 0, 1…
   */
  flushSoon(): void {
    // Dirty even without an `update`: `beforeFlush` supplies fields (horizon, snapshots) as of the write.
    this.#dirty = true;
    this.#armTimer();
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // One write of the entry as it is now, not `flush()`: that loops while updates keep
      // coming, and a process committing back to back updates the entry every commit, so
      // it would rewrite the file continuously (and often with an operation count of 0,
      // which the next `opStarted` must then rewrite before it may count).
      this.#writeOnce(true)
        .then(() => {
          if (this.#dirty || this.#opsHigh) this.#armTimer();
        })
        .catch(() => undefined);
    }, FLUSH_DELAY_MS);
    this.#timer.unref();
  }

  /** The registration's lock file (owner JSON, kept while the store is open); the commit lock links it. */
  get lockFile(): string {
    return this.#lock.path;
  }

  /** @internal How many times the registration file was written. */
  get writes(): number {
    return this.#writes;
  }

  get file(): string {
    return path.join(this.dir, `${this.token}.json`);
  }

  get entry(): Readonly<ProcessEntry> {
    return this.#entry;
  }

  /** Changes the entry in memory; `flush` writes it. */
  update(change: Partial<ProcessEntry>): void {
    this.#entry = { ...this.#entry, ...change };
    this.#dirty = true;
    this.#gen += 1;
  }

  /**
   * Writes the current entry; resolves once a write that started after this call (so it
   * includes every earlier `update`) is done. Not "until nothing changes": other
   * transactions of the store keep updating the entry, and waiting for a quiet moment
   * would rewrite the file over and over.
   */
  async flush(): Promise<void> {
    const want = ++this.#gen;
    while (this.#writtenGen < want && !this.#closed) {
      this.#dirty = true;
      await this.#writeOnce();
    }
  }

  /**
   * Waits for a write in flight, then (if anything changed) writes the entry as it is now,
   * once. Only the timer's writes (`lowerOps`) lower operation counts on disk; the others
   * (an operation starting, a TSN block) keep each count at least what the file said.
   * Otherwise, with transactions on several namespaces, each urgent write would catch some
   * other namespace between two of its transactions at 0, whose next transaction must then
   * write again: a chain of writes, about one per commit. A count too high only makes a
   * delete or rename elsewhere wait until the timer's next write.
   */
  async #writeOnce(lowerOps = false): Promise<void> {
    if (this.#writing !== undefined) {
      await this.#writing;
      return;
    }
    if (!(this.#dirty || (lowerOps && this.#opsHigh)) || this.#closed) return;
    this.#dirty = false;
    const gen = this.#gen;
    this.#entry = this.#beforeFlush?.(this.#entry) ?? this.#entry;
    let entry = this.#entry;
    if (lowerOps) this.#opsHigh = false;
    else {
      let ops: Record<string, number> | undefined;
      for (const [ns, n] of Object.entries(this.#opsOnDisk)) {
        if ((entry.ops[ns] ?? 0) < n) (ops ??= { ...entry.ops })[ns] = n;
      }
      if (ops !== undefined) {
        entry = { ...entry, ops };
        this.#opsHigh = true; // the timer's next write lowers them
        this.#armTimer();
      }
    }
    const text = JSON.stringify(entry);
    this.#writes += 1;
    this.#writing = writeFileAtomic(this.file, text, { sync: false })
      .then(() => {
        this.#opsOnDisk = entry.ops;
        this.#writtenGen = Math.max(this.#writtenGen, gen);
      })
      .finally(() => {
        this.#writing = undefined;
      });
    await this.#writing;
  }

  /** Lets the store refresh fields (the horizon) right before each write. */
  set beforeFlush(fn: (entry: ProcessEntry) => ProcessEntry) {
    this.#beforeFlush = fn;
  }

  #beforeFlush: ((entry: ProcessEntry) => ProcessEntry) | undefined;

  async close(): Promise<void> {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    await this.#writing?.catch(() => undefined);
    this.#closed = true;
    await fs.unlink(this.file).catch(() => undefined);
    await this.#lock.release();
  }
}

/** Every registered store (this one included), with whether its process is alive. */
export function readPeers(dir: string): PeerEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: PeerEntry[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    let entry: ProcessEntry;
    try {
      entry = JSON.parse(readFileSync(file, 'utf8')) as ProcessEntry;
    } catch {
      continue; // removed meanwhile
    }
    if (typeof entry?.owner?.pid !== 'number' || !Array.isArray(entry.blocks)) continue;
    out.push({ ...entry, token: name.slice(0, -5), file, alive: isOwnerAlive(entry.owner) });
  }
  return out;
}

/** Removes the files of a dead store's registration. */
export function forgetPeer(peer: PeerEntry): void {
  if (peer.alive) throw new StorageError('EINVAL', 'refusing to forget a live store', { path: peer.file });
  for (const f of [peer.file, peer.file.replace(/\.json$/, '.lock')]) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
}
