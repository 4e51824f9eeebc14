import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
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
