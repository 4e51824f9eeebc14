import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageStore } from '../src/index.js';
import { fixture, kill, killStarted, startUntilLine, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await killStarted();
  await cleanup();
});

describe('version cleanup', () => {
  // CI (config.test, cleanupIntervalMs 20) once saw ENOENT writing a/page001.json.v1: cleanup
  // removed the empty folder of a namespace not yet committed between the writer's mkdir and
  // its write. A writer must make the folder again as often as cleanup takes it away.
  it('a cleanup running beside writers into new namespaces never makes a write fail', async () => {
    await using store = await PageStore.open(dir, { durability: 'always' });
    for (let round = 0; round < 20; round++) {
      const writes = Array.from({ length: 4 }, async (_, i) => {
        const t = await store.begin();
        await store.insertObject(t, `fresh${round}x${i}.deep`, { round, i });
        await store.commit(t);
      });
      const cleanups = Array.from({ length: 6 }, () => store.cleanup());
      const settled = await Promise.allSettled([...writes, ...cleanups]);
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
    }
    const t = await store.begin();
    expect(await store.readPage(t, 'fresh19x3.deep', 'page001')).toEqual([{ round: 19, i: 3 }]);
  });

  it('spares a young empty namespace folder (a writer may be about to use it) and removes an old one', async () => {
    await using store = await PageStore.open(dir);
    mkdirSync(path.join(dir, 'young'));
    mkdirSync(path.join(dir, 'old'));
    const longAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(path.join(dir, 'old'), longAgo, longAgo);
    const stats = await store.cleanup();
    expect(stats.foldersRemoved).toBe(1);
    expect(existsSync(path.join(dir, 'young'))).toBe(true);
    expect(existsSync(path.join(dir, 'old'))).toBe(false);
  });

  it('counts what it removed and the bytes reclaimed', async () => {
    await using store = await PageStore.open(dir);
    const t = await store.begin();
    await store.insertObject(t, 'a', { n: 0 });
    await store.commit(t);
    for (let i = 1; i <= 3; i++) {
      const u = await store.begin();
      await store.readPage(u, 'a', 'page001');
      await store.updatePage(u, 'a', 'page001', [{ n: i }]);
      await store.commit(u);
    }
    const stats = await store.cleanup();
    expect(stats).toMatchObject({ versionsRemoved: 3, debrisRemoved: 0, failures: 0 });
    expect(stats.bytesReclaimed).toBeGreaterThan(3 * 40);
    expect(readdirSync(path.join(dir, 'a')).filter((n) => n.startsWith('page'))).toHaveLength(1);
  });

  it('removes version files of a transaction whose process died, but not those of a live one', async () => {
    {
      await using store = await PageStore.open(dir);
      const t = await store.begin();
      await store.insertObject(t, 'held', { n: 1 });
      await store.commit(t);
    }
    const { child } = await startUntilLine(fixture('hold-snapshot.mjs'), [dir, 'held']);
    await using store = await PageStore.open(dir);
    // A live transaction of this store with an uncommitted version file.
    const live = await store.begin();
    await store.readPage(live, 'held', 'page001');
    await store.updatePage(live, 'held', 'page001', [{ n: 2 }]);
    // Debris of a dead transaction: a TSN handed out long ago to nobody alive.
    writeFileSync(path.join(dir, 'held', 'page001.json.v0'), 'torn');
    const first = await store.cleanup();
    expect(first.debrisRemoved).toBe(1);
    expect(existsSync(path.join(dir, 'held', `page001.json.v${live.tsn}`))).toBe(true);
    await kill(child);
    const second = await store.cleanup();
    expect(second.deadProcesses).toBe(1);
    expect(existsSync(path.join(dir, 'held', `page001.json.v${live.tsn}`))).toBe(true);
    await store.commit(live);
  });

  it('startVersionCleanup logs failures and keeps running', async () => {
    const messages: string[] = [];
    await using store = await PageStore.open(dir, { logger: (m) => messages.push(m) });
    const t = await store.begin();
    await store.insertObject(t, 'a', { n: 0 });
    await store.commit(t);
    // Debris that cannot be unlinked: a (non-empty) directory with a version file's name.
    mkdirSync(path.join(dir, 'a', 'page001.json.v0', 'inside'), { recursive: true });
    store.startVersionCleanup(10);
    for (let i = 0; i < 1000 && messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(messages[0]).toMatch(/cleanup could not remove a\/page001\.json\.v0/);
    const u = await store.begin();
    expect(await store.readPage(u, 'a', 'page001')).toEqual([{ n: 0 }]);
    store.stopVersionCleanup();
    expect((await store.cleanup()).failures).toBe(1);
  });
});
