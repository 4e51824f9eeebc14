import { mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemBackend, MemoryBackend } from '@store/backend-core';
import { etagOf } from '../src/etag.js';
import { FileReadCache } from '../src/read-cache.js';
import { HAVE_SWAPPER, startServer, swapDirectories, tempDir, type Running } from './helpers.js';

// Only files whose ctime is 2 s old are cached: the files are made first, then one wait.
let root: string;
let cleanup: () => Promise<void>;
let data: string;
let backend: FilesystemBackend;
const names = ['hit', 'inplace', 'swap/f', 'gone', 'replaced', 'big'];
beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('store-read-cache-'));
  data = path.join(root, 'data');
  for (const name of names) {
    mkdirSync(path.dirname(path.join(data, name)), { recursive: true });
    writeFileSync(path.join(data, name), name === 'big' ? Buffer.alloc(65 * 1024, 1) : `old ${name}`);
  }
  mkdirSync(path.join(data, 'tiny'));
  for (let i = 0; i < 20; i++) writeFileSync(path.join(data, 'tiny', String(i).padStart(2, '0')), '');
  for (const [dir, fill] of [['aba-d', 'A'], ['aba-e', 'B']] as const) {
    mkdirSync(path.join(data, dir));
    writeFileSync(path.join(data, dir, 'f'), Buffer.alloc(60 * 1024, fill));
  }
  mkdirSync(path.join(root, 'outside'));
  writeFileSync(path.join(root, 'outside', 'f'), 'secret');
  backend = new FilesystemBackend(data);
  await sleep(2100);
});
afterAll(async () => {
  await backend.close();
  await cleanup();
});

const text = (d: Uint8Array): string => Buffer.from(d).toString();

describe('FileReadCache (small-file GET cache over a FilesystemBackend)', () => {
  it('serves an unchanged file from the cache, with the ETag of its bytes', async () => {
    const cache = FileReadCache.for(backend, 1 << 20)!;
    const first = await cache.read('hit');
    const second = await cache.read('hit');
    expect(cache.hits).toBe(1);
    expect(text(second.data)).toBe('old hit');
    expect(second.etag).toBe(first.etag);
    expect(second.etag).toBe(etagOf(Buffer.from('old hit')));
  });

  it('a file rewritten in place (same size, mtime put back) is read again: its ctime moved', async () => {
    const cache = FileReadCache.for(backend, 1 << 20)!;
    const file = path.join(data, 'inplace');
    await cache.read('inplace');
    await cache.read('inplace');
    expect(cache.hits).toBe(1);
    const { atime, mtime } = statSync(file);
    writeFileSync(file, 'new inplace');
    utimesSync(file, atime, mtime);
    const after = await cache.read('inplace');
    expect(text(after.data)).toBe('new inplace');
    expect(after.etag).toBe(etagOf(Buffer.from('new inplace')));
    expect(cache.hits).toBe(1);
  });

  it('a directory swapped for a symlink to outside the root is refused, cached or not', async () => {
    const cache = FileReadCache.for(backend, 1 << 20)!;
    await cache.read('swap/f');
    await cache.read('swap/f');
    expect(cache.hits).toBe(1);
    renameSync(path.join(data, 'swap'), path.join(root, 'swap-old'));
    symlinkSync(path.join(root, 'outside'), path.join(data, 'swap'));
    await expect(cache.read('swap/f')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(cache.read('swap/f')).rejects.toMatchObject({ code: 'EACCES' });
    expect(cache.hits).toBe(1);
  });

  it('a deleted file is ENOENT; a file replaced through the backend is read anew', async () => {
    const cache = FileReadCache.for(backend, 1 << 20)!;
    await cache.read('gone');
    await cache.read('replaced');
    rmSync(path.join(data, 'gone'));
    await expect(cache.read('gone')).rejects.toMatchObject({ code: 'ENOENT' });
    await backend.writeFile('replaced', Buffer.from('new replaced'));
    expect(text((await cache.read('replaced')).data)).toBe('new replaced');
    expect(cache.hits).toBe(0);
  });

  it('keeps neither files over 64 KiB nor files changed in the last 2 s, and needs a FilesystemBackend', async () => {
    const cache = FileReadCache.for(backend, 1 << 20)!;
    await cache.read('big');
    expect((await cache.read('big')).data.byteLength).toBe(65 * 1024);
    await backend.writeFile('fresh', Buffer.from('fresh'));
    await cache.read('fresh');
    expect(text((await cache.read('fresh')).data)).toBe('fresh');
    expect(cache.hits).toBe(0);
    expect(FileReadCache.for(new MemoryBackend(), 1 << 20)).toBeUndefined();
    expect(FileReadCache.for(backend, 0)).toBeUndefined();
  });

  it('counts what an entry costs beside its bytes: a budget of 10 entries of empty files keeps 10, not 50', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `tiny/${String(i).padStart(2, '0')}`);
    // 384 bytes of bookkeeping plus the key in UTF-16 (an entry of an empty file measured ~330 bytes of heap).
    const budget = 10 * (384 + 2 * keys[0]!.length);
    const fits = FileReadCache.for(backend, budget)!;
    for (const key of keys.slice(0, 8)) await fits.read(key);
    for (const key of keys.slice(0, 8)) await fits.read(key);
    expect(fits.hits).toBe(8);
    const over = FileReadCache.for(backend, budget)!;
    for (const key of keys) await over.read(key);
    for (const key of keys) await over.read(key);
    // 20 entries in a cache that holds 10, read in order twice: each is gone before it comes round again.
    expect(over.hits).toBe(0);
  });
});

describe('FileReadCache against directories swapped by another process', () => {
  it.skipIf(!HAVE_SWAPPER)('never keeps the bytes of one file under the identity of another (A -> B -> A while a read is in flight)', async () => {
    // Caches filled while another process swaps aba-d and aba-e back and forth: a read that
    // opened aba-d/f while it was B's file, between two stats that both saw A's, was cached
    // as A's (the fault the descriptor's own fstat now rules out).
    const d = path.join(data, 'aba-d');
    const swapper = swapDirectories(d, path.join(data, 'aba-e'), 3);
    const caches: FileReadCache[] = [];
    while (swapper.running()) {
      // A fresh cache each time: every read is a miss that may fill it.
      const cache = FileReadCache.for(backend, 1 << 20)!;
      await cache.read('aba-d/f').catch(() => undefined);
      caches.push(cache);
      if (caches.length > 400) caches.shift();
      await new Promise((r) => setImmediate(r));
    }
    expect(await swapper.done).toBe(0);
    expect(readFileSync(path.join(d, 'f'))[0]).toBe(0x41); // the swapper ended where it started
    for (const cache of caches) expect(String.fromCharCode((await cache.read('aba-d/f')).data[0]!)).toBe('A');
  }, 30_000);
});

describe('the files routes with the cache', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('GET of a settled file keeps answering its current bytes and ETag after changes from outside the server', async () => {
    const put = await fetch(`${s.url}/v1/files/c/x`, { method: 'PUT', body: 'one' });
    const { etag } = (await put.json()) as { etag: string };
    await sleep(2100);
    for (let i = 0; i < 3; i++) {
      const g = await fetch(`${s.url}/v1/files/c/x`);
      expect(g.headers.get('etag')).toBe(etag);
      expect(g.headers.get('content-length')).toBe('3');
      expect(await g.text()).toBe('one');
    }
    const head = await fetch(`${s.url}/v1/files/c/x`, { method: 'HEAD' });
    expect([head.headers.get('etag'), head.headers.get('content-length')]).toEqual([etag, '3']);
    expect((await fetch(`${s.url}/v1/files/c/x`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const part = await fetch(`${s.url}/v1/files/c/x`, { headers: { range: 'bytes=1-' } });
    expect([part.status, part.headers.get('content-range'), await part.text()]).toEqual([206, 'bytes 1-2/3', 'ne']);
    const file = path.join(s.dataDir, 'c/x');
    const { atime, mtime } = statSync(file);
    writeFileSync(file, 'two');
    utimesSync(file, atime, mtime);
    const g = await fetch(`${s.url}/v1/files/c/x`);
    expect(await g.text()).toBe('two');
    expect(g.headers.get('etag')).toBe(etagOf(Buffer.from('two')));
    const notModified = await fetch(`${s.url}/v1/files/c/x`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(200);
  });
});
