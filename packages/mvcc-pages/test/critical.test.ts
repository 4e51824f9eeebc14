import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { PageStore } from '../src/index.js';
import { fixture, kill, killStarted, startUntilLine, tempDir } from './helpers.js';

/**
 * The seed's stories 1.5–1.7 are not in the repository, so their "CRITICAL" lines could
 * not be quoted. These tests name the critical properties the issue and DESIGN.md give
 * for those stories, one test each.
 */
let dir: string;
let cleanup: () => Promise<void>;
let store: PageStore;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = await PageStore.open(dir);
});
afterEach(async () => {
  await killStarted();
  await store.close();
  await cleanup();
});

describe('critical properties', () => {
  it('CRITICAL: every change is on disk before the call resolves (a commit acknowledged before SIGKILL survives)', async () => {
    const t = await store.begin();
    await store.insertObject(t, 'pre', { n: 1 });
    // The version file is complete on disk as soon as insertObject resolved.
    const file = path.join(dir, 'pre', `page001.json.v${t.tsn}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ objects: [{ n: 1 }] });
    await store.commit(t);
    const { child, line } = await startUntilLine(fixture('commit-and-ack.mjs'), [dir, 'acked']);
    expect(line).toBe('ACK');
    await kill(child);
    await using reopened = await PageStore.open(dir);
    const r = await reopened.begin();
    expect(await reopened.readPage(r, 'left', 'page001')).toEqual([{ value: 'acked' }]);
    expect(await reopened.readPage(r, 'right.nested', 'page001')).toEqual([{ value: 'acked' }]);
  });

  it('CRITICAL: read-before-write is enforced (updatePage of a page not read in the transaction is refused)', async () => {
    const t = await store.begin();
    await store.insertObject(t, 'a', { n: 1 });
    await store.commit(t);
    const u = await store.begin();
    const error = await store.updatePage(u, 'a', 'page001', [{ n: 2 }]).catch((e: unknown) => e);
    expect(isStorageError(error, 'EINVAL')).toBe(true);
    expect(readdirSync(path.join(dir, 'a')).filter((n) => n.startsWith('page'))).toEqual([`page001.json.v${t.tsn}`]);
  });

  it('CRITICAL: a transaction reads exactly its snapshot, whatever commits meanwhile (also from another process)', async () => {
    const t = await store.begin();
    await store.insertObject(t, 'snap', { v: 0 });
    await store.insertObject(t, 'snap.more', { v: 0 });
    await store.commit(t);
    const reader = await store.begin();
    expect(await store.readPage(reader, 'snap', 'page001')).toEqual([{ v: 0 }]);
    const other = await PageStore.open(dir);
    for (let i = 1; i <= 3; i++) {
      const w = await other.begin();
      await other.readPage(w, 'snap', 'page001');
      await other.updatePage(w, 'snap', 'page001', [{ v: i }]);
      await other.readPage(w, 'snap.more', 'page001');
      await other.updatePage(w, 'snap.more', 'page001', [{ v: i }]);
      await other.insertObject(w, 'snap.new', { v: i });
      await other.commit(w);
    }
    await other.close();
    expect(await store.readPage(reader, 'snap', 'page001')).toEqual([{ v: 0 }]);
    expect(await store.readPage(reader, 'snap.more', 'page001')).toEqual([{ v: 0 }]);
    expect((await store.getMatchingObjects(reader, 'snap*')).map((m) => m.namespace)).toEqual(['snap', 'snap.more']);
    const fresh = await store.begin();
    expect(await store.readPage(fresh, 'snap', 'page001')).toEqual([{ v: 3 }]);
  });

  it('CRITICAL: a commit across namespaces is atomic: no snapshot sees part of it', async () => {
    const nss = ['m.one', 'm.two.deep', 'other'];
    const t = await store.begin();
    for (const ns of nss) await store.insertObject(t, ns, { k: 0 });
    await store.commit(t);
    const writer = await PageStore.open(dir);
    const writes = (async () => {
      for (let k = 1; k <= 30; k++) {
        const w = await writer.begin();
        for (const ns of nss) {
          await writer.readPage(w, ns, 'page001');
          await writer.updatePage(w, ns, 'page001', [{ k }]);
        }
        await writer.commit(w);
      }
    })();
    let checks = 0;
    let done = false;
    void writes.then(() => (done = true));
    while (!done || checks < 5) {
      const r = await store.begin();
      const ks = await Promise.all(nss.map(async (ns) => ((await store.readPage(r, ns, 'page001')) as { k: number }[])[0]!.k));
      expect(new Set(ks).size, ks.join(',')).toBe(1);
      await store.commit(r);
      checks++;
      if (done && checks >= 5) break;
    }
    await writes;
    await writer.close();
  });

  it('CRITICAL: namespace delete and rename are blocked while operations on it are active', async () => {
    const t = await store.begin();
    await store.insertObject(t, 'guarded', { n: 1 });
    await store.commit(t);
    const active = await store.begin();
    await store.readPage(active, 'guarded', 'page001');
    const d = await store.begin();
    await expect(store.deleteNamespace(d, 'guarded', { waitMs: 20 })).rejects.toMatchObject({ code: 'ELOCKED' });
    await expect(store.renameNamespace(d, 'guarded', 'moved', { waitMs: 20 })).rejects.toMatchObject({ code: 'ELOCKED' });
    await store.rollback(active);
    await store.renameNamespace(d, 'guarded', 'moved', { waitMs: 20 });
    await store.commit(d);
  });

  it('CRITICAL: cleanup never removes a version a live snapshot (in this or another store) can see', async () => {
    const t = await store.begin();
    await store.insertObject(t, 'hist', { v: 0 });
    await store.commit(t);
    const other = await PageStore.open(dir);
    const oldInOther = await other.begin();
    const oldHere = await store.begin();
    for (let i = 1; i <= 5; i++) {
      const w = await store.begin();
      await store.readPage(w, 'hist', 'page001');
      await store.updatePage(w, 'hist', 'page001', [{ v: i }]);
      await store.commit(w);
    }
    // v0 is visible to both old snapshots; v1..v4 to nobody; v5 is current. The other store
    // publishes its open snapshots lazily; until it has, cleanup keeps everything it might see.
    let removed = 0;
    for (let i = 0; i < 500 && removed < 4; i++) {
      removed += (await store.cleanup()).versionsRemoved;
      if (removed < 4) await new Promise((r) => setTimeout(r, 20));
    }
    expect(removed).toBe(4);
    expect(existsSync(path.join(dir, 'hist', `page001.json.v${t.tsn}`))).toBe(true);
    await store.rollback(oldHere);
    expect((await store.cleanup()).versionsRemoved).toBe(0); // the other store's snapshot still holds v0
    expect(await other.readPage(oldInOther, 'hist', 'page001')).toEqual([{ v: 0 }]);
    await other.close();
    expect((await store.cleanup()).versionsRemoved).toBe(1);
    const now = await store.begin();
    expect(await store.readPage(now, 'hist', 'page001')).toEqual([{ v: 5 }]);
  });
});
