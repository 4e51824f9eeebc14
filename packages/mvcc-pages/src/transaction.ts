import { StorageError } from '@store/backend-core';
import type { Value } from '@store/format-adapters';
import { pageName } from './page-id.js';

/** One page this transaction wrote (its version file `page<NNN>.<ext>.v<tsn>` is on disk). */
export interface PendingWrite {
  ns: string;
  page: number;
  objects: readonly Value[];
  text: string;
  crc: string;
  file: string;
}

export type TransactionState = 'active' | 'committed' | 'rolled-back';

export const pageKey = (ns: string, page: number): string => `${ns}\u0000${page}`;
export const splitKey = (key: string): [string, number] => {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), Number(key.slice(i + 1))];
};

/**
 * A transaction handle from `store.begin()`. It reads the snapshot `snapshot` (the
 * commits with seq ≤ snapshot) plus its own writes, and records everything it read so
 * `commit` can check that none of it changed.
 */
export class Transaction {
  /** Transaction sequence number: unique in the store, names this transaction's version files. */
  readonly tsn: number;
  /** The commit seq this transaction reads at. */
  readonly snapshot: number;
  #state: TransactionState = 'active';
  /** page key → seq of the version read (0: read as absent). */
  readonly reads = new Map<string, number>();
  /** namespace → seq of its last create/delete at the snapshot (0: never), as read. */
  readonly nsReads = new Map<string, number>();
  /** namespace → its page list at the snapshot, as read by an insert or a delete. */
  readonly pageSetReads = new Map<string, string>();
  /** Patterns matched: the namespaces and pages they matched at the snapshot. */
  readonly patternReads: { pattern: string; re: RegExp; signature: string }[] = [];
  readonly writes = new Map<string, PendingWrite>();
  readonly creates = new Set<string>();
  readonly deletes = new Set<string>();
  /** Namespaces counted as having an operation of this transaction active. */
  readonly touched = new Set<string>();
  /** tsn of the version read per page key, for callers logging histories. */
  readonly #readTsn = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(tsn: number, snapshot: number) {
    this.tsn = tsn;
    this.snapshot = snapshot;
  }

  get state(): TransactionState {
    return this.#state;
  }

  /** True until commit or rollback. */
  get active(): boolean {
    return this.#state === 'active';
  }

  /** TSN of the committed version this transaction read of a page (0: read as absent), or undefined if not read. */
  readVersion(ns: string, pageId: string | number): number | undefined {
    const page = typeof pageId === 'number' ? pageId : Number(pageId.replace(/^page/, ''));
    return this.#readTsn.get(pageKey(ns, page));
  }

  /** Pages this transaction has written, as `namespace/pageNNN`. */
  get written(): string[] {
    return [...this.writes.values()].map((w) => `${w.ns}/${pageName(w.page)}`);
  }

  /** @internal */
  recordRead(key: string, seq: number, tsn: number): void {
    if (!this.reads.has(key)) {
      this.reads.set(key, seq);
      this.#readTsn.set(key, tsn);
    }
  }

  /** @internal Runs operations of this transaction one at a time, in call order. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      this.assertActive();
      return fn();
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** @internal */
  async settled(): Promise<void> {
    await this.#queue;
  }

  /** @internal */
  end(state: Exclude<TransactionState, 'active'>): void {
    this.#state = state;
  }

  assertActive(): void {
    if (this.#state !== 'active') throw new StorageError('ECLOSED', `transaction ${this.tsn} has ${this.#state === 'committed' ? 'committed' : 'rolled back'}`);
  }
}
