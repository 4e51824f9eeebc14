import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PageStore, verifyStore } from '../src/index.js';
import { FLUSH_DELAY_MS } from '../src/registry.js';
import { seed, tempDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function dir(): Promise<string> {
  const d = await tempDir();
  cleanups.push(d.cleanup);
  return d.dir;
}

const pageFiles = (folder: string): string[] => (existsSync(folder) ? readdirSync(folder).filter((n) => n.startsWith('page')).sort() : []);

describe('commit lock', () => {
  it("a commit lock left by a dead process is taken over, and a commit leaves no lock behind", async () => {
    const root = await dir();
    await using store = await PageStore.open(root);
    await seed(store, 'a', [{ n: 0 }]);
    // A pid that surely exited: a child we ran to completion.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const lockFile = path.join(root, '.mvcc', 'commit.lock');
    writeFileSync(lockFile, JSON.stringify({ pid: dead, hostname: hostname(), startTime: null, acquiredAt: new Date().toISOString(), token: 'dead0000' }));
    for (let i = 1; i <= 3; i++) {
      const t = await store.begin();
      await store.readPage(t, 'a', 'page001');
      await store.updatePage(t, 'a', 'page001', [{ n: i }]);
      await store.commit(t);
      expect(existsSync(lockFile)).toBe(false);
    }
    const t = await store.begin();
    expect(await store.readPage(t, 'a', 'page001')).toEqual([{ n: 3 }]);
  });

  it('two stores (one process, two registrations) committing at once never share a seq', async () => {
    const root = await dir();
    await using a = await PageStore.open(root, { durability: 'commit', forceOneObjectPerPage: true });
    await using b = await PageStore.open(root, { durability: 'commit', forceOneObjectPerPage: true });
    const [pa, pb] = (await seed(a, 'x', [{ n: 0 }, { n: 0 }])) as [string, string];
    const bump = async (store: PageStore, page: string): Promise<number[]> => {
      const seqs: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = await store.begin();
        const [o] = (await store.readPage(t, 'x', page)) as { n: number }[];
        await store.updatePage(t, 'x', page, [{ n: o!.n + 1 }]);
        seqs.push((await store.commit(t)).seq);
      }
      return seqs;
    };
    const [sa, sb] = await Promise.all([bump(a, pa), bump(b, pb)]);
    expect(new Set([...sa, ...sb]).size).toBe(60);
    const t = await b.begin();
    expect(await b.readPage(t, 'x', pa)).toEqual([{ n: 30 }]);
    expect(await b.readPage(t, 'x', pb)).toEqual([{ n: 30 }]);
  });
});

describe("durability 'commit': version files are written after the commit", () => {
  it('no file before the commit or after a rollback; the current version gets its file (on close at the latest)', async () => {
    const root = await dir();
    const folder = path.join(root, 'a');
    const store = await PageStore.open(root, { durability: 'commit' });
    const t1 = await store.begin();
    await store.insertObject(t1, 'a', { n: 1 });
    expect(pageFiles(folder)).toEqual([]);
    await store.commit(t1);
    const t2 = await store.begin();
    await store.readPage(t2, 'a', 'page001');
    await store.updatePage(t2, 'a', 'page001', [{ n: 2 }]);
    await store.rollback(t2);
    const t3 = await store.begin();
    await store.readPage(t3, 'a', 'page001');
    await store.updatePage(t3, 'a', 'page001', [{ n: 3 }]);
    expect(pageFiles(folder).some((n) => n.endsWith(`.v${t3.tsn}`))).toBe(false);
    await store.commit(t3);
    await store.close();
    // t1's file exists if it was written before t3 hid it (within ~50 ms); t2 rolled back and never gets one.
    expect(pageFiles(folder).filter((n) => n !== `page001.json.v${t1.tsn}`)).toEqual([`page001.json.v${t3.tsn}`]);
    expect(JSON.parse(readFileSync(path.join(folder, `page001.json.v${t3.tsn}`), 'utf8'))).toMatchObject({ tsn: t3.tsn, objects: [{ n: 3 }] });
    await using reopened = await PageStore.open(root);
    expect(await verifyStore(reopened)).toMatchObject({ problems: [], restorable: 0 });
  });

  it('a namespace folder cleanup removed while the transaction ran (empty, a minute old) is made again for the file', async () => {
    const root = await dir();
    const store = await PageStore.open(root, { durability: 'commit' });
    const t = await store.begin();
    await store.insertObject(t, 'slow', { n: 1 });
    // Nothing is written before the commit, so the new folder is empty; age it past cleanup's grace.
    const longAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(path.join(root, 'slow'), longAgo, longAgo);
    await using other = await PageStore.open(root);
    expect((await other.cleanup()).foldersRemoved).toBe(1);
    expect(existsSync(path.join(root, 'slow'))).toBe(false);
    await store.commit(t);
    await store.close();
    expect(pageFiles(path.join(root, 'slow'))).toEqual([`page001.json.v${t.tsn}`]);
  });

  it('another store reads a commit whose file is not written yet (from the commit record), and a missing file is rewritten from it', async () => {
    const root = await dir();
    await using writer = await PageStore.open(root, { durability: 'commit' });
    await using reader = await PageStore.open(root, { durability: 'commit' });
    const t = await writer.begin();
    await writer.insertObject(t, 'a', { n: 1 });
    await writer.commit(t);
    // As if its file were not written yet, or lost in a crash (the writer may still write it meanwhile).
    const file = path.join(root, 'a', `page001.json.v${t.tsn}`);
    rmSync(file, { force: true });
    const r = await reader.begin();
    expect(await reader.readPage(r, 'a', 'page001')).toEqual([{ n: 1 }]);
    // A store opened afterwards finds the file (written meanwhile) or restores it from the record.
    rmSync(file, { force: true });
    await using third = await PageStore.open(root);
    expect(await verifyStore(third)).toMatchObject({ problems: [] });
    expect(pageFiles(path.join(root, 'a'))).toEqual([`page001.json.v${t.tsn}`]);
  });
});

describe('commit path costs', () => {
  async function bump(store: PageStore, ns: string, page = 'page001'): Promise<void> {
    const t = await store.begin();
    const [o] = (await store.readPage(t, ns, page)) as { n: number }[];
    await store.updatePage(t, ns, page, [{ n: o!.n + 1 }]);
    await store.commit(t);
  }

  for (const durability of ['commit', 'always'] as const) {
    it(`durability '${durability}': a commit with no other transaction open syncs the log inline, once; concurrent commits share fdatasyncs in the pool (group commit) and all are there`, async () => {
      const root = await dir();
      await using store = await PageStore.open(root, { durability, forceOneObjectPerPage: true });
      const t0 = await store.begin();
      const pages: string[] = [];
      for (let i = 0; i < 8; i++) pages.push(await store.insertObject(t0, 'g', { n: 0 }));
      await store.commit(t0);
      const before = store.commitCosts;
      for (let i = 0; i < 20; i++) await bump(store, 'g');
      const sequential = store.commitCosts;
      expect(sequential.inlineSyncs - before.inlineSyncs).toBe(20);
      expect(sequential.pooledSyncs - before.pooledSyncs).toBe(0);

      // Eight transactions open at once, each on its own page, committed together.
      const txns = await Promise.all(pages.map(() => store.begin()));
      await Promise.all(txns.map(async (t, i) => {
        const [o] = (await store.readPage(t, 'g', pages[i]!)) as { n: number }[];
        await store.updatePage(t, 'g', pages[i]!, [{ n: o!.n + 100 }]);
      }));
      const results = await Promise.all(txns.map((t) => store.commit(t)));
      expect(new Set(results.map((r) => r.seq)).size).toBe(8);
      const grouped = store.commitCosts;
      const syncs = grouped.inlineSyncs + grouped.pooledSyncs - sequential.inlineSyncs - sequential.pooledSyncs;
      expect(syncs).toBeGreaterThanOrEqual(1);
      expect(syncs).toBeLessThan(8); // shared, not one each
      expect(grouped.pooledSyncs - sequential.pooledSyncs).toBeGreaterThanOrEqual(1);

      // Another store (its own log handle) sees every one of them.
      await using other = await PageStore.open(root);
      const r = await other.begin();
      const values = await Promise.all(pages.map(async (p) => ((await other.readPage(r, 'g', p)) as { n: number }[])[0]!.n));
      expect(values).toEqual([120, 100, 100, 100, 100, 100, 100, 100]);
    });
  }

  it('back-to-back commits rewrite the registration a few times per flush delay, not on every commit', async () => {
    const root = await dir();
    await using store = await PageStore.open(root, { durability: 'commit' });
    await seed(store, 'r', [{ n: 0 }]);
    const before = store.commitCosts.registrationWrites;
    const started = Date.now();
    const COMMITS = 200;
    for (let i = 0; i < COMMITS; i++) {
      await bump(store, 'r');
      // Let the event loop turn, as an application doing other I/O does (a commit that
      // syncs inline never yields to it, and the registration's writes and timers need it).
      await new Promise((r) => setImmediate(r));
    }
    const periods = Math.ceil((Date.now() - started) / FLUSH_DELAY_MS) + 1;
    // Per flush period: the timer's write, and (if that one found no transaction open) the
    // next transaction's write of its operation count; plus a TSN block reservation or two.
    // A bound that grows with the time taken, so a slow machine cannot make it fail.
    const writes = store.commitCosts.registrationWrites - before;
    expect(writes).toBeLessThanOrEqual(2 * periods + 3);
    expect(writes).toBeLessThan(COMMITS / 4);

    // Four transactions at a time, each on its own namespace: an operation starting on a
    // namespace the file shows at 0 is written at once, but such a write must not catch the
    // other namespaces at 0 in turn (one write per commit); only the timer lowers counts.
    const nss = ['r0', 'r1', 'r2', 'r3'];
    for (const ns of nss) await seed(store, ns, [{ n: 0 }]);
    const before4 = store.commitCosts.registrationWrites;
    const started4 = Date.now();
    await Promise.all(nss.map(async (ns) => {
      for (let i = 0; i < COMMITS / 4; i++) {
        await bump(store, ns);
        await new Promise((r) => setImmediate(r));
      }
    }));
    const periods4 = Math.ceil((Date.now() - started4) / FLUSH_DELAY_MS) + 1;
    const writes4 = store.commitCosts.registrationWrites - before4;
    expect(writes4).toBeLessThanOrEqual((1 + nss.length) * periods4 + 3);
    expect(writes4).toBeLessThan(COMMITS / 4);
  });

  it('begin follows a compaction another store made (the old log lost its link), also while someone holds a hard link to the old file', async () => {
    const root = await dir();
    await using a = await PageStore.open(root);
    await using b = await PageStore.open(root);
    await seed(a, 'x', [{ n: 0 }]);
    await bump(a, 'x');
    const check = async (expected: number): Promise<void> => {
      const t = await b.begin();
      expect(await b.readPage(t, 'x', 'page001')).toEqual([{ n: expected }]);
      await b.rollback(t);
    };
    // b publishes its horizon lazily (registration timer); until then compaction keeps what b might read.
    const compact = async (): Promise<boolean> => {
      for (let i = 0; i < 500; i++) {
        if ((await a.compactLog()).compacted) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    };
    await check(1);
    expect(await compact()).toBe(true);
    await bump(a, 'x');
    await check(2); // b's next begin notices the switch by the link count alone
    const generation = b.logGeneration;
    // Someone (a backup, say) links the current log: same file, more links.
    const backup = path.join(root, 'backup-commits.log');
    linkSync(path.join(root, '.mvcc', 'commits.log'), backup);
    await bump(a, 'x');
    await check(3);
    expect(await compact()).toBe(true);
    await bump(a, 'x');
    await check(4);
    expect(b.logGeneration).toBeGreaterThan(generation);
    await bump(b, 'x'); // and b's own commit goes into the new file, where a sees it
    const t = await a.begin();
    expect(await a.readPage(t, 'x', 'page001')).toEqual([{ n: 5 }]);
    await a.rollback(t);
    rmSync(backup);
  });
});
