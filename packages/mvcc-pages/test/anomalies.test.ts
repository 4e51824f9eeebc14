import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import type { PageStore } from '../src/index.js';
import { seed, withStore } from './helpers.js';

/**
 * Each classic anomaly as two interleaved transactions T1 and T2 on one store. Under
 * serializability one of them must not commit: the second committer gets ECONFLICT.
 */
let store: PageStore;
let done: () => Promise<void>;
beforeEach(async () => {
  ({ store, done } = await withStore({ forceOneObjectPerPage: true }));
});
afterEach(async () => done());

const conflict = (e: unknown): boolean => isStorageError(e, 'ECONFLICT');

describe('anomalies are prevented', () => {
  it('lost update: two read-modify-writes of one counter; the second commit fails', async () => {
    const [p] = await seed(store, 'acct', [{ n: 0 }]);
    const t1 = await store.begin();
    const t2 = await store.begin();
    const a = (await store.readPage(t1, 'acct', p!)) as { n: number }[];
    const b = (await store.readPage(t2, 'acct', p!)) as { n: number }[];
    await store.updatePage(t1, 'acct', p!, [{ n: a[0]!.n + 1 }]);
    await store.updatePage(t2, 'acct', p!, [{ n: b[0]!.n + 1 }]);
    await store.commit(t1);
    const error = await store.commit(t2).catch((e: unknown) => e);
    expect(conflict(error)).toBe(true);
    expect((error as Error).message).toContain('acct/page001');
    const check = await store.begin();
    expect(await store.readPage(check, 'acct', p!)).toEqual([{ n: 1 }]);
    expect(t2.state).toBe('rolled-back');
  });

  it('write skew: two doctors on call each go off duty after checking the other is on; the second commit fails', async () => {
    const [alice, bob] = await seed(store, 'oncall', [{ name: 'alice', on: true }, { name: 'bob', on: true }]);
    const t1 = await store.begin();
    const t2 = await store.begin();
    const onCount = async (t: typeof t1): Promise<number> => {
      const a = (await store.readPage(t, 'oncall', alice!)) as { on: boolean }[];
      const b = (await store.readPage(t, 'oncall', bob!)) as { on: boolean }[];
      return Number(a[0]!.on) + Number(b[0]!.on);
    };
    expect(await onCount(t1)).toBe(2);
    expect(await onCount(t2)).toBe(2);
    await store.updatePage(t1, 'oncall', alice!, [{ name: 'alice', on: false }]);
    await store.updatePage(t2, 'oncall', bob!, [{ name: 'bob', on: false }]);
    await store.commit(t1);
    expect(conflict(await store.commit(t2).catch((e: unknown) => e))).toBe(true);
    const check = await store.begin();
    expect(await onCount(check)).toBe(1);
  });

  it('read skew: T1 reads x, T2 moves 50 from x to y and commits, T1 reads y: T1 sees the old y (snapshot), and its write based on x+y fails', async () => {
    const [x, y, total] = await seed(store, 'bank', [{ v: 100 }, { v: 100 }, { v: 0 }]);
    const t1 = await store.begin();
    const x1 = ((await store.readPage(t1, 'bank', x!)) as { v: number }[])[0]!.v;
    const t2 = await store.begin();
    const x2 = ((await store.readPage(t2, 'bank', x!)) as { v: number }[])[0]!.v;
    const y2 = ((await store.readPage(t2, 'bank', y!)) as { v: number }[])[0]!.v;
    await store.updatePage(t2, 'bank', x!, [{ v: x2 - 50 }]);
    await store.updatePage(t2, 'bank', y!, [{ v: y2 + 50 }]);
    await store.commit(t2);
    const y1 = ((await store.readPage(t1, 'bank', y!)) as { v: number }[])[0]!.v;
    expect(x1 + y1).toBe(200); // consistent snapshot: no skew in what T1 saw
    await store.readPage(t1, 'bank', total!);
    await store.updatePage(t1, 'bank', total!, [{ v: x1 + y1 }]);
    const error = await store.commit(t1).catch((e: unknown) => e);
    expect(conflict(error)).toBe(true);
    expect((error as Error).message).toContain('bank/page001');
  });

  it('phantom: T1 sums a namespace matched by pattern and writes the sum; T2 inserts a new page into it; the second commit fails', async () => {
    await seed(store, 'orders.eu', [{ amount: 10 }, { amount: 20 }]);
    await seed(store, 'summary', [{ total: 0 }]);
    const t1 = await store.begin();
    const matched = await store.getMatchingObjects(t1, 'orders.*');
    const sum = matched.reduce((s, m) => s + (m.object as { amount: number }).amount, 0);
    expect(sum).toBe(30);
    const t2 = await store.begin();
    await store.insertObject(t2, 'orders.eu', { amount: 5 });
    await store.commit(t2);
    await store.readPage(t1, 'summary', 'page001');
    await store.updatePage(t1, 'summary', 'page001', [{ total: sum }]);
    const error = await store.commit(t1).catch((e: unknown) => e);
    expect(conflict(error)).toBe(true);
  });

  it('phantom: a new namespace that matches the pattern fails the matcher, one that does not match leaves it alone', async () => {
    await seed(store, 'orders.eu', [{ amount: 10 }]);
    await seed(store, 'summary', [{ total: 0 }]);
    const run = async (newNs: string): Promise<unknown> => {
      const t1 = await store.begin();
      await store.getMatchingObjects(t1, /^orders\./);
      const t2 = await store.begin();
      await store.insertObject(t2, newNs, { amount: 1 });
      await store.commit(t2);
      await store.readPage(t1, 'summary', 'page001');
      await store.updatePage(t1, 'summary', 'page001', [{ total: 1 }]);
      return store.commit(t1).catch((e: unknown) => e);
    };
    expect(conflict(await run('orders.us'))).toBe(true);
    const ok = await run('invoices');
    expect(ok).toMatchObject({ readOnly: false });
  });

  it('phantom by appending: an object appended to a matched page also fails the matcher', async () => {
    const { store: s2, done: d2 } = await withStore();
    try {
      await seed(s2, 'items', [{ a: 1 }]);
      await seed(s2, 'count', [{ n: 0 }]);
      const t1 = await s2.begin();
      expect(await s2.getMatchingObjects(t1, 'items')).toHaveLength(1);
      const t2 = await s2.begin();
      expect(await s2.insertObject(t2, 'items', { a: 2 })).toBe('page001'); // same page, appended
      await s2.commit(t2);
      await s2.readPage(t1, 'count', 'page001');
      await s2.updatePage(t1, 'count', 'page001', [{ n: 1 }]);
      expect(conflict(await s2.commit(t1).catch((e: unknown) => e))).toBe(true);
    } finally {
      await d2();
    }
  });

  it('transactions on disjoint pages both commit', async () => {
    const [a, b] = await seed(store, 'acct', [{ n: 0 }, { n: 0 }]);
    const t1 = await store.begin();
    const t2 = await store.begin();
    await store.readPage(t1, 'acct', a!);
    await store.readPage(t2, 'acct', b!);
    await store.updatePage(t1, 'acct', a!, [{ n: 1 }]);
    await store.updatePage(t2, 'acct', b!, [{ n: 2 }]);
    const r1 = await store.commit(t1);
    const r2 = await store.commit(t2);
    expect(r2.seq).toBe(r1.seq + 1);
  });
});
