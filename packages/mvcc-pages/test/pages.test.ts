import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { adapterFor } from '@store/format-adapters';
import { PageStore, type PageFormat } from '../src/index.js';
import { tempDir, withStore } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function open(options: Parameters<typeof withStore>[0] = {}): Promise<{ store: PageStore; dir: string }> {
  const s = await withStore(options);
  cleanups.push(s.done);
  return s;
}

describe('pages', () => {
  it('insertObject fills page001 up to the page size, then opens page002, page003', async () => {
    const { store, dir } = await open({ pageSize: 512 });
    const txn = await store.begin();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await store.insertObject(txn, 'zoo', { i, text: 'x'.repeat(60) }));
    await store.commit(txn);
    expect(ids[0]).toBe('page001');
    expect(new Set(ids).size).toBeGreaterThan(2);
    expect([...new Set(ids)]).toEqual(Array.from({ length: new Set(ids).size }, (_, i) => `page00${i + 1}`));
    for (const name of readdirSync(path.join(dir, 'zoo')).filter((n) => n.startsWith('page'))) {
      expect(readFileSync(path.join(dir, 'zoo', name)).length).toBeLessThanOrEqual(512);
    }
    const check = await store.begin();
    const all = await store.getMatchingObjects(check, 'zoo');
    expect(all.map((m) => (m.object as { i: number }).i)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('forceOneObjectPerPage puts every object on its own page; an object over the page size is EINVAL', async () => {
    const { store } = await open({ forceOneObjectPerPage: true, pageSize: 300 });
    const txn = await store.begin();
    expect(await store.insertObject(txn, 'a', { n: 1 })).toBe('page001');
    expect(await store.insertObject(txn, 'a', { n: 2 })).toBe('page002');
    const error = await store.insertObject(txn, 'a', { big: 'y'.repeat(400) }).catch((e: unknown) => e);
    expect(isStorageError(error, 'EINVAL')).toBe(true);
    expect((error as Error).message).toContain('over the page size of 300');
  });

  it('every change writes a new version file pageNNN.<ext>.v<TSN>; the page file is readable on its own', async () => {
    const { store, dir } = await open();
    const t1 = await store.begin();
    await store.insertObject(t1, 'animals_db.animal_type', { name: 'cat' });
    expect(readdirSync(path.join(dir, 'animals_db', 'animal_type'))).toContain(`page001.json.v${t1.tsn}`);
    await store.commit(t1);
    const t2 = await store.begin();
    await store.readPage(t2, 'animals_db.animal_type', 'page001');
    await store.updatePage(t2, 'animals_db.animal_type', 'page001', [{ name: 'cat', legs: 4 }]);
    await store.commit(t2);
    const files = readdirSync(path.join(dir, 'animals_db', 'animal_type')).sort();
    expect(files.filter((n) => n.startsWith('page'))).toEqual([`page001.json.v${t1.tsn}`, `page001.json.v${t2.tsn}`].sort());
    const doc = JSON.parse(readFileSync(path.join(dir, 'animals_db', 'animal_type', `page001.json.v${t2.tsn}`), 'utf8')) as unknown;
    expect(doc).toEqual({ namespace: 'animals_db.animal_type', page: 'page001', tsn: t2.tsn, objects: [{ name: 'cat', legs: 4 }] });
    // .versions is refreshed shortly after a commit (off the commit path).
    const versionsFile = path.join(dir, 'animals_db', 'animal_type', '.versions.json');
    const readVersions = (): { commit?: number } => (existsSync(versionsFile) ? (JSON.parse(readFileSync(versionsFile, 'utf8')) as { commit?: number }) : {});
    for (let i = 0; i < 500 && readVersions().commit !== 2; i++) await new Promise((r) => setTimeout(r, 10));
    const versions = readVersions();
    expect(versions).toEqual({ namespace: 'animals_db.animal_type', commit: 2, pages: { page001: { file: `page001.json.v${t2.tsn}`, tsn: t2.tsn, commit: 2 } } });
  });

  it.each(['yaml', 'xml'] as PageFormat[])('pages and .versions in %s round-trip every value type', async (format) => {
    const { store, dir } = await open({ format });
    expect(readdirSync(dir)).toContain(`storage.${format}`);
    const value = { s: 'text: with "quotes" <tags> & ünïcode', n: -0, big: 12345678901234, f: 1.5, b: true, nil: null, d: new Date('2026-01-02T03:04:05.678Z'), list: [1, 'two', [3]], nested: { 'odd key': 1 } };
    const txn = await store.begin();
    await store.insertObject(txn, 'typed', value);
    await store.commit(txn);
    const check = await store.begin();
    expect(await store.readPage(check, 'typed', 'page001')).toEqual([value]);
    const text = readFileSync(path.join(dir, 'typed', `page001.${format}.v${txn.tsn}`), 'utf8');
    expect((adapterFor(format).deserialize(text) as { objects: unknown[] }).objects).toEqual([value]);
    await store.close(); // writes the .versions files still pending
    expect(adapterFor(format).deserialize(readFileSync(path.join(dir, 'typed', `.versions.${format}`), 'utf8'))).toMatchObject({ namespace: 'typed', commit: 1 });
  });

  it('read-before-write is enforced; values outside the data model are EINVAL naming the field', async () => {
    const { store } = await open();
    const seedTxn = await store.begin();
    await store.insertObject(seedTxn, 'a', { n: 1 });
    await store.commit(seedTxn);
    const txn = await store.begin();
    const blind = await store.updatePage(txn, 'a', 'page001', [{ n: 2 }]).catch((e: unknown) => e);
    expect(isStorageError(blind, 'EINVAL')).toBe(true);
    expect((blind as Error).message).toContain('read the page in this transaction before updating it');
    await store.readPage(txn, 'a', 'page001');
    const bad = await store.updatePage(txn, 'a', 'page001', [{ f: () => 1 } as never]).catch((e: unknown) => e);
    expect(isStorageError(bad, 'EINVAL')).toBe(true);
    expect((bad as { field?: string }).field).toContain('f');
    expect(isStorageError(await store.readPage(txn, 'a', 'page002').catch((e: unknown) => e), 'ENOENT')).toBe(true);
    expect(isStorageError(await store.readPage(txn, 'nope', 'page001').catch((e: unknown) => e), 'ENOENT')).toBe(true);
    await expect(store.readPage(txn, 'a', 'page1')).rejects.toThrow(/not a page id/);
    await expect(store.readPage(txn, 'a..b', 'page001')).rejects.toThrow(/empty segment/);
  });

  it('reads see the snapshot plus own writes; rollback discards and removes the version files', async () => {
    const { store, dir } = await open();
    const t0 = await store.begin();
    await store.insertObject(t0, 'a', { n: 1 });
    await store.commit(t0);
    const reader = await store.begin();
    const writer = await store.begin();
    await store.readPage(writer, 'a', 'page001');
    await store.updatePage(writer, 'a', 'page001', [{ n: 2 }]);
    expect(await store.readPage(writer, 'a', 'page001')).toEqual([{ n: 2 }]);
    expect(await store.readPage(reader, 'a', 'page001')).toEqual([{ n: 1 }]);
    await store.rollback(writer);
    expect(readdirSync(path.join(dir, 'a'))).not.toContain(`page001.json.v${writer.tsn}`);
    expect(writer.state).toBe('rolled-back');
    await expect(store.readPage(writer, 'a', 'page001')).rejects.toMatchObject({ code: 'ECLOSED' });
    const after = await store.begin();
    expect(await store.readPage(after, 'a', 'page001')).toEqual([{ n: 1 }]);
  });

  it('objects are taken at the call: changing them while the write is in flight changes neither what commits nor what the transaction reads', async () => {
    const { store } = await open();
    const t0 = await store.begin();
    const inserted = { n: 1, list: [1] };
    const insert = store.insertObject(t0, 'a', inserted);
    inserted.n = 666;
    inserted.list.push(666);
    await insert;
    await store.commit(t0);
    const t = await store.begin();
    expect(await store.readPage(t, 'a', 'page001')).toEqual([{ n: 1, list: [1] }]);
    const update = [{ n: 2 }];
    const pending = store.updatePage(t, 'a', 'page001', update);
    update[0]!.n = 777;
    update.push({ n: 778 });
    await pending;
    expect(await store.readPage(t, 'a', 'page001')).toEqual([{ n: 2 }]);
    await store.commit(t);
    expect(await store.readPage(await store.begin(), 'a', 'page001')).toEqual([{ n: 2 }]);
  });

  it('returned objects are copies: changing them changes nothing stored', async () => {
    const { store } = await open();
    const t0 = await store.begin();
    await store.insertObject(t0, 'a', { n: 1, list: [1] });
    await store.commit(t0);
    const t = await store.begin();
    const objs = (await store.readPage(t, 'a', 'page001')) as { n: number; list: number[] }[];
    objs[0]!.n = 99;
    objs[0]!.list.push(2);
    expect(await store.readPage(t, 'a', 'page001')).toEqual([{ n: 1, list: [1] }]);
  });

  it('a page file lost or damaged after commit is restored from the commit record', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    {
      await using store = await PageStore.open(dir, { durability: 'commit' });
      const t = await store.begin();
      await store.insertObject(t, 'a', { n: 1 });
      await store.commit(t);
    }
    const file = readdirSync(path.join(dir, 'a')).find((n) => n.startsWith('page001'))!;
    const original = readFileSync(path.join(dir, 'a', file), 'utf8');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'a', file), original.replace('1', '7'));
    await using store = await PageStore.open(dir);
    const t = await store.begin();
    expect(await store.readPage(t, 'a', 'page001')).toEqual([{ n: 1 }]);
    expect(readFileSync(path.join(dir, 'a', file), 'utf8')).toBe(original);
  });
});
