import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageStore } from '../src/index.js';
import { fixture, runNodes, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

const ACCOUNTS = 20;
const START = 1000;

describe('bank invariant across processes', () => {
  it('random transfers between 20 accounts from 4 processes never change the total in any snapshot', async () => {
    {
      await using store = await PageStore.open(dir, { forceOneObjectPerPage: true, durability: 'commit' });
      const txn = await store.begin();
      for (let i = 0; i < ACCOUNTS; i++) await store.insertObject(txn, 'bank', { account: i, balance: START });
      await store.commit(txn);
    }
    const total = ACCOUNTS * START;
    const outs = await runNodes(Array.from({ length: 4 }, (_, i) => ({ script: fixture('bank-worker.mjs'), args: [dir, '300', String(77 + i), String(ACCOUNTS), String(total)] })));
    const results = outs.map((o) => JSON.parse(o) as { transfers: number; conflicts: number; audits: number; badAudits: unknown[] });
    for (const r of results) expect(r.badAudits).toEqual([]);
    const transfers = results.reduce((s, r) => s + r.transfers, 0);
    expect(transfers).toBeGreaterThan(100);
    expect(results.reduce((s, r) => s + r.audits, 0)).toBeGreaterThan(0);
    expect(results.reduce((s, r) => s + r.conflicts, 0)).toBeGreaterThan(0);

    // At the end, and in every committed snapshot along the way.
    await using store = await PageStore.open(dir, { readOnly: true });
    const last = store.lastCommit;
    const txn = await store.begin();
    const balances = await store.getMatchingObjects(txn, 'bank');
    expect(balances).toHaveLength(ACCOUNTS);
    expect(balances.reduce((s, m) => s + (m.object as { balance: number }).balance, 0)).toBe(total);
    await store.commit(txn);
    const index = store.index;
    for (let seq = 1; seq <= last; seq += Math.max(1, Math.floor(last / 60))) {
      let sum = 0;
      for (const page of index.pages('bank', seq)) {
        const [o] = (await store.loadVersion('bank', page, index.visible('bank', page, seq)!)) as { balance: number }[];
        sum += o!.balance;
      }
      expect(sum, `snapshot ${seq}`).toBe(total);
    }
  });
});
