/**
 * MVCC transactions over the server's `/v1/mvcc` routes: a transaction is begun by a POST,
 * named by the id it answers, and ends with a commit or a rollback (or is rolled back by
 * the server after `--idle-close` ms without a call; its id then answers 404 ENOENT).
 */
import { encodePath, request, sendJson } from './api.js';

const BASE = '/v1/mvcc/transactions';

export interface Txn {
  id: string;
  /** Transaction sequence number: the version its writes carry. */
  tsn: number;
  /** The commit seq it reads at. */
  snapshot: number;
}

export interface Committed {
  tsn: number;
  seq: number;
  readOnly: boolean;
}

export interface Match {
  namespace: string;
  pageId: string;
  index: number;
  object: unknown;
}

export async function begin(): Promise<Txn> {
  return (await (await request(BASE, { method: 'POST' })).json()) as Txn;
}

const pageUrl = (t: Txn, ns: string, page: string): string => `${BASE}/${t.id}/pages/${encodePath(ns)}/${encodePath(page)}`;

export async function readPage(t: Txn, ns: string, page: string): Promise<unknown[]> {
  return (await (await request(pageUrl(t, ns, page))).json() as { objects: unknown[] }).objects;
}

export async function updatePage(t: Txn, ns: string, page: string, objects: unknown[]): Promise<void> {
  await sendJson('PUT', pageUrl(t, ns, page), { objects });
}

export async function insertObject(t: Txn, ns: string, object: unknown): Promise<string> {
  return (await sendJson<{ pageId: string }>('POST', `${BASE}/${t.id}/objects/${encodePath(ns)}`, { object })).pageId;
}

/** Every object of the namespaces matching `pattern` (`*`, `?` wildcards; or a regex). */
export async function match(t: Txn, pattern: string, regex = false): Promise<Match[]> {
  return (await sendJson<{ objects: Match[] }>('POST', `${BASE}/${t.id}/match`, { pattern, regex })).objects;
}

export async function commit(t: Txn): Promise<Committed> {
  return (await (await request(`${BASE}/${t.id}/commit`, { method: 'POST' })).json()) as Committed;
}

/**
 * Rolls back. Errors are ignored: a transaction the server already ended (404) is gone, and
 * one a failed call left open is rolled back by the server once idle.
 */
export async function rollback(t: Txn): Promise<void> {
  await request(`${BASE}/${t.id}/rollback`, { method: 'POST' }).catch(() => undefined);
}

/** Runs `work` in a fresh transaction and commits it; rolls it back if `work` throws. */
export async function inTransaction<T>(work: (t: Txn) => Promise<T>): Promise<{ value: T; committed: Committed }> {
  const t = await begin();
  let value: T;
  try {
    value = await work(t);
  } catch (e) {
    await rollback(t);
    throw e;
  }
  return { value, committed: await commit(t) };
}

/** Reads in a transaction that is rolled back afterwards (nothing to validate or publish). */
export async function readOnly<T>(work: (t: Txn) => Promise<T>): Promise<T> {
  const t = await begin();
  try {
    return await work(t);
  } finally {
    await rollback(t);
  }
}

/** `page001` < `page002` < `page1000`: by number, as the store numbers them. */
export function comparePages(a: string, b: string): number {
  return Number(a.slice(4)) - Number(b.slice(4)) || a.localeCompare(b);
}
