import { StorageError } from '@store/backend-core';
import { pageName } from './page-id.js';
import { splitKey, type Transaction } from './transaction.js';
import type { VersionIndex } from './version-index.js';

/**
 * Commit-time validation (optimistic concurrency): everything a transaction read is
 * compared with the state after commit `at` — the newest, read under the commit lock.
 * Any difference is `ECONFLICT` naming what changed.
 */

/** What a pattern read saw: every matching namespace with its page list, at `at`. */
export function patternSignature(index: VersionIndex, re: RegExp, at: number): string {
  return index
    .namespaces(at)
    .filter((n) => re.test(n))
    .map((n) => `${n}:${index.pages(n, at).join(',')}`)
    .join(';');
}

/** Throws `ECONFLICT` if anything `txn` read (pages, namespaces, page lists, patterns) differs at `at`. */
export function validateReads(index: VersionIndex, txn: Transaction, at: number): void {
  for (const [key, seq] of txn.reads) {
    const [ns, page] = splitKey(key);
    const now = index.visible(ns, page, at)?.seq ?? 0;
    if (now !== seq) {
      throw new StorageError('ECONFLICT', `${ns}/${pageName(page)} changed after the transaction's snapshot (read commit ${seq}, now ${now})`, { path: `${ns}/${pageName(page)}` });
    }
  }
  for (const [ns, state] of txn.nsReads) {
    if (index.nsState(ns, at) !== state) throw new StorageError('ECONFLICT', `namespace ${ns} was created or deleted after the transaction's snapshot`, { path: ns });
  }
  for (const [ns, pages] of txn.pageSetReads) {
    if (index.pages(ns, at).join(',') !== pages) throw new StorageError('ECONFLICT', `pages were added to or removed from ${ns} after the transaction's snapshot`, { path: ns });
  }
  for (const p of txn.patternReads) {
    if (patternSignature(index, p.re, at) !== p.signature) {
      throw new StorageError('ECONFLICT', `the namespaces or pages matching ${p.pattern} changed after the transaction's snapshot`, { field: p.pattern });
    }
  }
}
