import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { PageStore, namespaceFolder, parseNamespace } from '../src/index.js';
import { fixture, kill, killStarted, startUntilLine, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: PageStore;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  store = await PageStore.open(dir, { namespaceWaitMs: 100 });
});
afterEach(async () => {
  await killStarted();
  await store.close();
  await cleanup();
});

async function put(ns: string, obj: object): Promise<void> {
  const t = await store.begin();
  await store.insertObject(t, ns, obj as never);
  await store.commit(t);
}

describe('namespace names', () => {
  it('dot notation maps to folders, nested deep', async () => {
    expect(namespaceFolder('animals_db.animal_type')).toBe('animals_db/animal_type');
    const deep = Array.from({ length: 12 }, (_, i) => `level${i}`).join('.');
    await put(deep, { deep: true });
    expect(existsSync(path.join(dir, ...deep.split('.')))).toBe(true);
    const t = await store.begin();
    expect(await store.readPage(t, deep, 'page001')).toEqual([{ deep: true }]);
  });

  it('refuses names that are not portable across Linux, macOS and Windows', () => {
    for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a/b', 'a\\b', 'a:b', 'a*', 'a?', 'a<b', 'a|b', '"a"', '-a', 'CON', 'x.nul', 'Com1', 'lpt9', 'aux', 'é', 'x'.repeat(65), Array(33).fill('a').join('.')]) {
      expect(() => parseNamespace(bad), bad).toThrow(/namespace/);
      try {
        parseNamespace(bad);
      } catch (e) {
        expect(isStorageError(e, 'EINVAL')).toBe(true);
      }
    }
    for (const good of ['a', 'A_b-c', '_x.y1.Z', 'console', 'con_1', 'x'.repeat(64)]) expect(parseNamespace(good)).toEqual(good.split('.'));
  });
});

describe('namespace operations', () => {
  it('create: EEXIST when it exists; an empty namespace exists after commit', async () => {
    const t = await store.begin();
    await store.createNamespace(t, 'empty.one');
    await expect(store.createNamespace(t, 'empty.one')).rejects.toMatchObject({ code: 'EEXIST' });
    await store.commit(t);
    const u = await store.begin();
    expect(store.listNamespaces(u)).toEqual(['empty.one']);
    expect(store.listPages(u, 'empty.one')).toEqual([]);
  });

  it('delete removes a namespace and those nested in it; older snapshots still read them', async () => {
    await put('zoo', { a: 1 });
    await put('zoo.cats', { c: 1 });
    await put('zoodle', { keep: true });
    const old = await store.begin();
    const t = await store.begin();
    await store.deleteNamespace(t, 'zoo');
    expect(store.listNamespaces(t)).toEqual(['zoodle']);
    await store.commit(t);
    const now = await store.begin();
    expect(store.listNamespaces(now)).toEqual(['zoodle']);
    await expect(store.readPage(now, 'zoo.cats', 'page001')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await store.readPage(old, 'zoo.cats', 'page001')).toEqual([{ c: 1 }]);
    await store.rollback(old);
    await store.rollback(now);
    const stats = await store.cleanup();
    const left = (d: string): string => (existsSync(d) ? readdirSync(d, { recursive: true }).join(',') : '');
    expect(existsSync(path.join(dir, 'zoo')), `left in zoo: ${left(path.join(dir, 'zoo'))}; cleanup: ${JSON.stringify(stats)}`).toBe(false);
    expect(existsSync(path.join(dir, 'zoodle'))).toBe(true);
  });

  it('rename moves pages (and nested namespaces) to the new name in one commit', async () => {
    await put('old', { a: 1 });
    await put('old.kid', { k: 1 });
    const before = await store.begin();
    const t = await store.begin();
    await store.renameNamespace(t, 'old', 'fresh.name');
    await store.commit(t);
    const u = await store.begin();
    expect(store.listNamespaces(u)).toEqual(['fresh.name', 'fresh.name.kid']);
    expect(await store.readPage(u, 'fresh.name.kid', 'page001')).toEqual([{ k: 1 }]);
    expect(await store.readPage(before, 'old', 'page001')).toEqual([{ a: 1 }]);
    await expect(store.renameNamespace(u, 'fresh', 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.renameNamespace(u, 'fresh.name', 'fresh.name.sub')).rejects.toMatchObject({ code: 'EINVAL' });
    await put('taken', { t: 1 });
    const v = await store.begin();
    await expect(store.renameNamespace(v, 'fresh.name', 'taken')).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('operation counts are on disk; delete/rename wait for active operations, then refuse with ELOCKED', async () => {
    await put('busy', { n: 1 });
    const other = await PageStore.open(dir);
    try {
      const reader = await other.begin();
      await other.readPage(reader, 'busy', 'page001');
      const procs = readdirSync(path.join(dir, '.mvcc', 'procs')).filter((n) => n.endsWith('.json'));
      const counts = procs.map((n) => (JSON.parse(readFileSync(path.join(dir, '.mvcc', 'procs', n), 'utf8')) as { ops: Record<string, number> }).ops);
      expect(counts).toContainEqual({ busy: 1 });
      const t = await store.begin();
      const refused = await store.deleteNamespace(t, 'busy', { waitMs: 50 }).catch((e: unknown) => e);
      expect(isStorageError(refused, 'ELOCKED')).toBe(true);
      expect((refused as Error).message).toContain("path 'busy'");
      // The same store's own transactions count too.
      const mine = await store.begin();
      await store.readPage(mine, 'busy', 'page001');
      await expect(store.renameNamespace(t, 'busy', 'calm', { waitMs: 30 })).rejects.toMatchObject({ code: 'ELOCKED' });
      await store.rollback(mine);
      // Once the reader ends, the delete goes through (waiting for the count to reach disk).
      const waiting = store.deleteNamespace(t, 'busy', { waitMs: 20_000 });
      await other.commit(reader);
      await waiting;
      await store.commit(t);
    } finally {
      await other.close();
    }
  });

  it('stale counts of a crashed process are cleaned up and do not block', async () => {
    await put('held', { n: 1 });
    const { child } = await startUntilLine(fixture('hold-snapshot.mjs'), [dir, 'held']);
    const t = await store.begin();
    await expect(store.deleteNamespace(t, 'held', { waitMs: 30 })).rejects.toMatchObject({ code: 'ELOCKED' });
    await kill(child);
    await store.deleteNamespace(t, 'held', { waitMs: 5000 });
    await store.commit(t);
    const procs = readdirSync(path.join(dir, '.mvcc', 'procs')).filter((n) => n.endsWith('.json'));
    expect(procs).toHaveLength(1); // ours; the dead one's was removed
  });
});
