import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { PageStore, verifyStore } from '../src/index.js';
import { parseCheckpoint } from '../src/commit-log.js';
import { fixture, kill, killStarted, runNodes, seed, startUntilLine, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await killStarted();
  await cleanup();
});

const logFile = (d: string): string => path.join(d, '.mvcc', 'commits.log');

/** The log's valid lines (up to the first NUL). */
function logLines(d: string): Buffer[] {
  const bytes = readFileSync(logFile(d));
  const nul = bytes.indexOf(0);
  const text = bytes.subarray(0, nul === -1 ? bytes.length : nul);
  const out: Buffer[] = [];
  let pos = 0;
  for (let nl = text.indexOf(10); nl !== -1; nl = text.indexOf(10, pos)) {
    out.push(text.subarray(pos, nl));
    pos = nl + 1;
  }
  return out;
}

async function bump(store: PageStore, ns: string, page: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const txn = await store.begin();
    const [o] = (await store.readPage(txn, ns, page)) as { n: number }[];
    await store.updatePage(txn, ns, page, [{ n: o!.n + 1 }]);
    await store.commit(txn);
  }
}

describe('commit log compaction', () => {
  it('folds every commit into a checkpoint line, keeps the state, and later commits append after it', async () => {
    {
      await using store = await PageStore.open(dir, { durability: 'commit', forceOneObjectPerPage: true });
      await seed(store, 'a', [{ n: 0 }, { n: 100 }]);
      await seed(store, 'b.c', [{ n: 0 }]);
      await bump(store, 'a', 'page001', 20);
      const t = await store.begin();
      await store.deleteNamespace(t, 'b.c');
      await store.commit(t);
      expect(logLines(dir)).toHaveLength(23);

      const stats = await store.compactLog();
      expect(stats).toMatchObject({ compacted: true, checkpoint: 23, filesSynced: 2 });
      expect(stats.bytesAfter).toBeLessThan(stats.bytesBefore);
      const lines = logLines(dir);
      expect(lines).toHaveLength(1);
      const cp = parseCheckpoint(lines[0]!)!;
      expect(cp.checkpoint).toBe(23);
      expect(cp.pages.map((p) => `${p.ns}/${p.page}@${p.seq}`)).toEqual(['a/1@22', 'a/2@1']);
      expect(cp.namespaces.find((n) => n.ns === 'b.c')).toMatchObject({ exists: false });
      expect(existsSync(path.join(dir, '.mvcc', 'commits.log.next'))).toBe(false);
      // Nothing more to fold: a second run is a no-op.
      expect((await store.compactLog()).compacted).toBe(false);

      await bump(store, 'a', 'page002', 3);
      expect(logLines(dir).map((l) => JSON.parse(l.toString('utf8').split('\t')[0]!).seq)).toEqual([undefined, 24, 25, 26]);
    }
    await using store = await PageStore.open(dir, { readOnly: true });
    const t = await store.begin();
    expect(t.snapshot).toBe(26);
    expect(await store.readPage(t, 'a', 'page001')).toEqual([{ n: 20 }]);
    expect(await store.readPage(t, 'a', 'page002')).toEqual([{ n: 103 }]);
    expect(store.listNamespaces(t)).toEqual(['a']);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('never folds past an open snapshot of another store, which keeps reading it after the switch and validates against it', async () => {
    await using writer = await PageStore.open(dir, { forceOneObjectPerPage: true });
    await seed(writer, 'a', [{ n: 0 }, { n: 0 }]);
    await using other = await PageStore.open(dir);
    const old = await other.begin(); // snapshot 1, published before it is taken (horizon)
    await bump(writer, 'a', 'page001', 5);
    const stats = await writer.compactLog();
    expect(stats).toMatchObject({ compacted: true, checkpoint: 1 }); // other registered with horizon 1: no further
    expect(await other.readPage(old, 'a', 'page001')).toEqual([{ n: 0 }]);
    await other.rollback(old);
    await other.close();
    // A store opened now registers the newest commit as its horizon at once.
    await using third = await PageStore.open(dir);
    const fresh = await third.begin();
    expect(fresh.snapshot).toBe(6);
    const s2 = await writer.compactLog();
    expect(s2).toMatchObject({ compacted: true, checkpoint: 6 });
    // The third store's transaction began before the switch: it still reads its snapshot, and its commit follows the switch and validates against the checkpoint.
    expect(await third.readPage(fresh, 'a', 'page001')).toEqual([{ n: 5 }]);
    await third.updatePage(fresh, 'a', 'page001', [{ n: 50 }]);
    await third.commit(fresh);
    // Validation after the switch still catches a lost update.
    const w = await writer.begin();
    await writer.readPage(w, 'a', 'page002');
    const o2 = await third.begin();
    await third.readPage(o2, 'a', 'page002');
    await third.updatePage(o2, 'a', 'page002', [{ n: 7 }]);
    await third.commit(o2);
    await writer.updatePage(w, 'a', 'page002', [{ n: 8 }]);
    await expect(writer.commit(w)).rejects.toMatchObject({ code: 'ECONFLICT' });
    expect(third.logGeneration).toBeGreaterThan(0);
  });

  it('a read-only store (unregistered) holding a snapshot older than the checkpoint gets ECONFLICT, never a wrong answer', async () => {
    await using writer = await PageStore.open(dir);
    await seed(writer, 'a', [{ n: 0 }]);
    await using reader = await PageStore.open(dir, { readOnly: true });
    const t = await reader.begin();
    await bump(writer, 'a', 'page001', 3);
    expect((await writer.compactLog()).checkpoint).toBe(4);
    const t2 = await reader.begin(); // refreshes: follows the switch
    expect(await reader.readPage(t2, 'a', 'page001')).toEqual([{ n: 3 }]);
    const error = await reader.readPage(t, 'a', 'page001').catch((e: unknown) => e);
    expect(isStorageError(error, 'ECONFLICT')).toBe(true);
  });

  it('a damaged page file whose record was compacted is reported by verify and read as ECORRUPT, not garbage', async () => {
    await using store = await PageStore.open(dir, { cacheSize: 1 });
    await seed(store, 'a', [{ n: 0 }]);
    await store.compactLog();
    writeFileSync(store.versionFile('a', 1, store.index.visible('a', 1, 1)!.tsn), '{"broken": ');
    const report = await verifyStore(store);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.problem).toMatch(/compacted/);
    await using fresh = await PageStore.open(dir, { readOnly: true });
    const t = await fresh.begin();
    await expect(fresh.readPage(t, 'a', 'page001')).rejects.toMatchObject({ code: 'ECORRUPT' });
  });

  it('cleanup compacts once the log reaches compactLogBytes, then removes the versions only the old log named', async () => {
    await using store = await PageStore.open(dir, { compactLogBytes: 4096 });
    await seed(store, 'a', [{ n: 0, pad: 'x'.repeat(300) }]);
    for (let i = 0; i < 15; i++) {
      const txn = await store.begin();
      const [o] = (await store.readPage(txn, 'a', 'page001')) as { n: number }[];
      await store.updatePage(txn, 'a', 'page001', [{ n: o!.n + 1, pad: 'x'.repeat(300) }]);
      await store.commit(txn);
    }
    const first = await store.cleanup();
    expect(first.logCompacted).toBe(true);
    expect(first.versionsRemoved).toBe(15);
    expect(logLines(dir)).toHaveLength(1);
    const second = await store.cleanup();
    expect(second.logCompacted).toBe(false);
    expect(second.versionsRemoved + second.debrisRemoved).toBe(0);
    expect((await verifyStore(store)).problems).toEqual([]);
  });
});

describe('compaction beside cleanup', () => {
  for (const durability of ['commit', 'always'] as const) {
    it(`compactLog and cleanup started together after every commit all succeed (durability ${durability}); no error names a host path`, async () => {
      // Cleanup removes versions no snapshot can see; it used to remove one between
      // compaction's check of it and its fdatasync, and compactLog failed with ENOENT.
      const store = await PageStore.open(dir, { durability, logger: () => undefined });
      const t0 = await store.begin();
      await store.insertObject(t0, 'n', { n: 0 });
      await store.commit(t0);
      const failures: string[] = [];
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 120; i++) {
        const txn = await store.begin();
        const [o] = (await store.readPage(txn, 'n', 'page001')) as { n: number }[];
        await store.updatePage(txn, 'n', 'page001', [{ n: o!.n + 1 }]);
        const committed = store.commit(txn);
        pending.push(store.cleanup().catch((e: Error) => failures.push(`cleanup: ${e.message}`)));
        pending.push(store.compactLog().catch((e: Error) => failures.push(`compactLog: ${e.message}`)));
        await committed;
      }
      await Promise.all(pending);
      expect(failures).toEqual([]);
      const check = await store.begin();
      expect(await store.readPage(check, 'n', 'page001')).toEqual([{ n: 120 }]);
      await store.rollback(check);
      expect((await verifyStore(store)).problems).toEqual([]);
      await store.close();
    });
  }
});

describe('a compacted log as input', () => {
  async function readAll(): Promise<number> {
    await using store = await PageStore.open(dir, { readOnly: true });
    const t = await store.begin();
    let objects = 0;
    for (const ns of store.listNamespaces(t)) objects += (await store.getMatchingObjects(t, ns)).length;
    return objects;
  }

  it('a damaged checkpoint is ECORRUPT for readers and writers, even with nothing after it (never an empty store, never cut)', async () => {
    {
      await using store = await PageStore.open(dir);
      await seed(store, 'a', [{ n: 1 }, { n: 2 }]);
      await store.compactLog();
    }
    const pristine = readFileSync(logFile(dir));
    const damaged = Buffer.from(pristine);
    damaged[40]! ^= 0x04;
    writeFileSync(logFile(dir), damaged);
    await expect(readAll()).rejects.toMatchObject({ code: 'ECORRUPT' });
    await expect(PageStore.open(dir)).rejects.toMatchObject({ code: 'ECORRUPT' });
    expect(readFileSync(logFile(dir)).equals(damaged)).toBe(true);
    writeFileSync(logFile(dir), pristine);
    expect(await readAll()).toBe(2);
  });

  it('fuzz: flipped bits, cuts and junk in a compacted log give the committed state or ECORRUPT, never garbage', async () => {
    {
      await using store = await PageStore.open(dir, { forceOneObjectPerPage: true });
      await seed(store, 'a', [{ n: 1 }, { n: 2 }]);
      await bump(store, 'a', 'page001', 2);
      await store.compactLog();
      await bump(store, 'a', 'page002', 2);
    }
    const pristine = readFileSync(logFile(dir));
    const end = pristine.indexOf(0);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(end + 50), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat(end + 50) }),
          fc.record({ kind: fc.constant('junk' as const), at: fc.nat(end + 50), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
        ),
        async (damage) => {
          let bytes = Buffer.from(pristine);
          if (damage.kind === 'flip') bytes[damage.at]! ^= 1 << damage.bit;
          else if (damage.kind === 'cut') bytes = bytes.subarray(0, damage.at);
          else bytes = Buffer.concat([bytes.subarray(0, damage.at), Buffer.from(damage.bytes), bytes.subarray(damage.at)]);
          writeFileSync(logFile(dir), bytes);
          try {
            // Two objects, whatever prefix of the commits survived: never fewer, never more
            // (only a file cut to under 3 bytes cannot be told from a store's torn first commit).
            expect(await readAll()).toBe(damage.kind === 'cut' && damage.at < 3 ? 0 : 2);
          } catch (error) {
            if (!isStorageError(error)) throw error;
            expect(['ECORRUPT', 'ENOENT']).toContain(error.code);
          }
        },
      ),
      { numRuns: 80, seed: 1130 },
    );
  });
});

describe('compaction across processes', () => {
  it('readers in other processes follow every switch: 4 processes transfer and compact, 2 readers (registered and read-only) audit throughout', { timeout: 120_000 }, async () => {
    const ACCOUNTS = 10;
    const START = 1000;
    {
      await using store = await PageStore.open(dir, { forceOneObjectPerPage: true, durability: 'commit' });
      const txn = await store.begin();
      for (let i = 0; i < ACCOUNTS; i++) await store.insertObject(txn, 'bank', { account: i, balance: START });
      await store.commit(txn);
    }
    const total = ACCOUNTS * START;
    const readers = await Promise.all(['registered', 'read-only'].map((mode) => startUntilLine(fixture('follow-reader.mjs'), [dir, mode, String(ACCOUNTS), String(total)])));
    const outs = await runNodes(Array.from({ length: 4 }, (_, i) => ({ script: fixture('bank-worker.mjs'), args: [dir, '120', String(300 + i), String(ACCOUNTS), String(total), String(15 + i)] })));
    const workers = outs.map((o) => JSON.parse(o) as { transfers: number; badAudits: unknown[]; compactions: number });
    for (const w of workers) expect(w.badAudits).toEqual([]);
    expect(workers.reduce((s, w) => s + w.compactions, 0)).toBeGreaterThan(1);
    const finished = Promise.all(
      readers.map(
        ({ child }) =>
          new Promise<{ audits: number; generations: number; last: number; bad: unknown[] }>((resolve, reject) => {
            let out = '';
            child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
            child.on('exit', (code) => {
              const line = out.trim().split('\n').at(-1) ?? '';
              if (code === 0) resolve(JSON.parse(line) as never);
              else reject(new Error(`reader exited with ${code}: ${out}`));
            });
          }),
      ),
    );
    {
      await using store = await PageStore.open(dir);
      const t = await store.begin();
      await store.createNamespace(t, 'bank-done');
      await store.commit(t);
    }
    const results = await finished;
    await Promise.all(readers.map(({ child }) => kill(child)));
    const lastSeq = (await PageStore.open(dir, { readOnly: true }).then(async (s) => { const n = s.lastCommit; await s.close(); return n; }));
    for (const r of results) {
      expect(r.bad).toEqual([]);
      expect(r.generations).toBeGreaterThan(0); // it moved to at least one new log file made by another process
      expect(r.last).toBe(lastSeq); // and saw the newest commit, made after the switches
    }
    expect(parseCheckpoint(logLines(dir)[0]!)).toBeDefined();
  });
});
