import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../src/index.js';

/** A real closable resource that records its life. */
class Handle {
  static opened = 0;
  closed = false;
  constructor(readonly key: string) {
    Handle.opened++;
  }
  async close(): Promise<void> {
    await sleep(1);
    this.closed = true;
  }
}

describe('ResourceRegistry', () => {
  it('concurrent acquires of one key open it once and share the instance', async () => {
    const registry = new ResourceRegistry({ maxOpen: 4, idleCloseMs: 60_000 });
    const before = Handle.opened;
    const leases = await Promise.all(Array.from({ length: 10 }, () => registry.acquire('k', async () => (await sleep(5), new Handle('k')))));
    expect(Handle.opened - before).toBe(1);
    expect(new Set(leases.map((l) => l.value)).size).toBe(1);
    for (const l of leases) l.release();
    await registry.closeAll();
    expect(leases[0]!.value.closed).toBe(true);
  });

  it('over the bound, the least recently used idle resource is closed; a leased one never is', async () => {
    const registry = new ResourceRegistry({ maxOpen: 2, idleCloseMs: 60_000 });
    const a = await registry.acquire('a', async () => new Handle('a'));
    const b = await registry.acquire('b', async () => new Handle('b'));
    b.release();
    const c = await registry.acquire('c', async () => new Handle('c'));
    await expect.poll(() => b.value.closed).toBe(true);
    expect(a.value.closed).toBe(false);
    expect(registry.has('b')).toBe(false);
    // Every open resource leased: the bound is exceeded rather than a user's handle closed.
    const d = await registry.acquire('d', async () => new Handle('d'));
    expect([a.value.closed, c.value.closed, d.value.closed]).toEqual([false, false, false]);
    expect(registry.size).toBe(3);
    for (const l of [a, c, d]) l.release();
    await registry.closeAll();
    expect([a.value.closed, c.value.closed, d.value.closed]).toEqual([true, true, true]);
  });

  it('idle resources are closed by the sweep and reopened on the next acquire', async () => {
    const registry = new ResourceRegistry({ maxOpen: 8, idleCloseMs: 50 });
    const first = await registry.acquire('x', async () => new Handle('x'));
    first.release();
    await expect.poll(() => first.value.closed, { timeout: 5_000 }).toBe(true);
    const second = await registry.acquire('x', async () => new Handle('x'));
    expect(second.value).not.toBe(first.value);
    expect(second.value.closed).toBe(false);
    second.release();
    await registry.closeAll();
  });

  it('a failed open is not cached, and acquire after closeAll is ECLOSED', async () => {
    const registry = new ResourceRegistry({ maxOpen: 8, idleCloseMs: 60_000 });
    await expect(registry.acquire('bad', async () => Promise.reject(new Error('cannot open')))).rejects.toThrow('cannot open');
    await sleep(0);
    expect(registry.has('bad')).toBe(false);
    const ok = await registry.acquire('bad', async () => new Handle('bad'));
    ok.release();
    await registry.closeAll();
    await expect(registry.acquire('y', async () => new Handle('y'))).rejects.toMatchObject({ code: 'ECLOSED' });
  });
});
