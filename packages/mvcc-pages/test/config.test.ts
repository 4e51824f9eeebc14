import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageStore } from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

describe('configuration', () => {
  it('creates storage.json with the defaults when none exists', async () => {
    const store = await PageStore.open(dir);
    await store.close();
    expect(JSON.parse(readFileSync(path.join(dir, 'storage.json'), 'utf8'))).toEqual({ format: 'json', pageSize: 8192, forceOneObjectPerPage: false, cleanupIntervalMs: 0, durability: 'always' });
  });

  it('creates the default in the chosen format', async () => {
    const store = await PageStore.open(dir, { format: 'xml', pageSize: 4096 });
    await store.close();
    expect(readdirSync(dir).filter((n) => n.startsWith('storage.'))).toEqual(['storage.xml']);
    const again = await PageStore.open(dir);
    expect(again.config).toMatchObject({ format: 'xml', pageSize: 4096 });
    await again.close();
  });

  it('discovers storage.json before storage.yaml before storage.xml', async () => {
    writeFileSync(path.join(dir, 'storage.xml'), '<?xml version="1.0"?>\n<root><format>xml</format></root>\n');
    writeFileSync(path.join(dir, 'storage.yaml'), 'format: yaml\npageSize: 1024\n');
    let store = await PageStore.open(dir);
    expect(store.config.format).toBe('yaml');
    await store.close();
    writeFileSync(path.join(dir, 'storage.json'), '{"format":"json","pageSize":2048}');
    store = await PageStore.open(dir);
    expect(store.config).toMatchObject({ format: 'json', pageSize: 2048, forceOneObjectPerPage: false });
    await store.close();
  });

  it('a bad value is EINVAL naming the field; a malformed file is ECORRUPT naming the file', async () => {
    writeFileSync(path.join(dir, 'storage.json'), '{"pageSize": "big"}');
    await expect(PageStore.open(dir)).rejects.toMatchObject({ code: 'EINVAL', field: '$.pageSize', path: 'storage.json' });
    writeFileSync(path.join(dir, 'storage.json'), '{"pageSize": 8192, "colour": "red"}');
    await expect(PageStore.open(dir)).rejects.toMatchObject({ code: 'EINVAL', field: '$.colour' });
    writeFileSync(path.join(dir, 'storage.json'), '{"durability": "sometimes"}');
    await expect(PageStore.open(dir)).rejects.toMatchObject({ code: 'EINVAL', field: '$.durability' });
    writeFileSync(path.join(dir, 'storage.json'), '{"pageSize": 81');
    await expect(PageStore.open(dir)).rejects.toMatchObject({ code: 'ECORRUPT', path: 'storage.json' });
    await expect(PageStore.open(path.join(dir, 'x'), { pageSize: 10 })).rejects.toMatchObject({ code: 'EINVAL', field: '$.pageSize' });
  });

  it('cleanupIntervalMs starts version cleanup on open', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'storage.json'), '{"cleanupIntervalMs": 20}');
    const store = await PageStore.open(dir);
    const t = await store.begin();
    await store.insertObject(t, 'a', { n: 1 });
    await store.commit(t);
    for (let i = 0; i < 2; i++) {
      const u = await store.begin();
      await store.readPage(u, 'a', 'page001');
      await store.updatePage(u, 'a', 'page001', [{ n: i }]);
      await store.commit(u);
    }
    const pageFiles = (): string[] => readdirSync(path.join(dir, 'a')).filter((n) => n.startsWith('page'));
    for (let i = 0; i < 1000 && pageFiles().length > 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(store.lastCleanup).toBeDefined();
    expect(readdirSync(path.join(dir, 'a')).filter((n) => n.startsWith('page'))).toHaveLength(1);
    await store.close();
  });
});
