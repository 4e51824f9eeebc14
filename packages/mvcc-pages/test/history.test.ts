import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageStore } from '../src/index.js';
import { checkHistory, type HistoryTxn } from './history-checker.js';
import { fixture, runNodes, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

describe('history checker', () => {
  it('finds the cycle in a hand-built write-skew history', () => {
    // T1 and T2 both read x and y at their initial versions; T1 writes x, T2 writes y.
    const bad: HistoryTxn[] = [
      { tsn: 1, seq: 1, reads: { x: 0, y: 0 }, writes: ['x', 'y'] },
      { tsn: 2, seq: 2, reads: { x: 1, y: 1 }, writes: ['x'] },
      { tsn: 3, seq: 3, reads: { x: 1, y: 1 }, writes: ['y'] },
    ];
    const result = checkHistory(bad);
    expect(result.cycle?.sort()).toEqual([2, 3]);
  });

  it('finds the cycle of a lost update and flags a read of an uncommitted version', () => {
    const lost: HistoryTxn[] = [
      { tsn: 5, seq: 1, reads: { c: 0 }, writes: ['c'] },
      { tsn: 6, seq: 2, reads: { c: 0 }, writes: ['c'] },
    ];
    expect(checkHistory(lost).cycle).toBeDefined();
    expect(checkHistory([{ tsn: 7, seq: 1, reads: { c: 99 }, writes: [] }]).badReads).toEqual(['7 read c@99']);
  });

  it('accepts a serial history', () => {
    const ok: HistoryTxn[] = [
      { tsn: 1, seq: 1, reads: { x: 0 }, writes: ['x'] },
      { tsn: 2, seq: 2, reads: { x: 1 }, writes: ['x'] },
      { tsn: 3, seq: 1.5, reads: { x: 1 }, writes: [] },
    ];
    expect(checkHistory(ok)).toMatchObject({ cycle: undefined, badReads: [] });
  });
});

describe('serializable histories across processes', () => {
  it('10,000 random transactions from 4 processes: the dependency graph has no cycle', { timeout: 300_000 }, async () => {
    const WORKERS = 4;
    const PER_WORKER = 2500;
    // Seed the pages every worker reads and writes; the seed is part of the history.
    const seedLog: HistoryTxn[] = [];
    {
      await using store = await PageStore.open(dir, { forceOneObjectPerPage: true, durability: 'commit' });
      const txn = await store.begin();
      const writes: string[] = [];
      for (const ns of ['h.a', 'h.b']) {
        for (let i = 0; i < 6; i++) writes.push(`${ns}/${await store.insertObject(txn, ns, { init: i })}`);
      }
      const r = await store.commit(txn);
      seedLog.push({ tsn: txn.tsn, seq: r.seq, reads: Object.fromEntries(writes.map((k) => [k, 0])), writes });
    }
    const results = await runNodes(
      Array.from({ length: WORKERS }, (_, i) => ({
        script: fixture('history-worker.mjs'),
        args: [dir, String(i), String(PER_WORKER), String(1000 + i), path.join(dir, `history-${i}.jsonl`)],
      })),
    );
    const counts = results.map((out) => JSON.parse(out) as { committed: number; aborted: number });
    const committed = counts.reduce((s, c) => s + c.committed, 0);
    const aborted = counts.reduce((s, c) => s + c.aborted, 0);
    expect(committed + aborted).toBe(WORKERS * PER_WORKER);
    expect(aborted).toBeGreaterThan(0); // the workload really contends
    const history = [...seedLog];
    for (let i = 0; i < WORKERS; i++) {
      const text = await readFile(path.join(dir, `history-${i}.jsonl`), 'utf8');
      for (const line of text.split('\n')) if (line !== '') history.push(JSON.parse(line) as HistoryTxn);
    }
    expect(history).toHaveLength(committed + 1);
    const result = checkHistory(history);
    expect(result.badReads).toEqual([]);
    expect(result.cycle).toBeUndefined();
    expect(result.edges).toBeGreaterThan(committed);
    // Commit seqs of update transactions are unique and gap-free: one serial order.
    const seqs = history.filter((t) => t.writes.length > 0).map((t) => t.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });
});
