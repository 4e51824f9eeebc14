import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type Running } from './helpers.js';

let s: Running;
beforeEach(async () => {
  s = await startServer({ limits: { idleCloseMs: 300 } });
});
afterEach(async () => s.close());

const call = async (method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
  const res = await fetch(`${s.url}/v1/mvcc${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
};
const begin = async (): Promise<string> => {
  const r = await call('POST', '/transactions');
  expect(r.status).toBe(201);
  return (r.json as { id: string }).id;
};

describe('mvcc routes', () => {
  it('begin, insert, commit, read, update, match; a lost update answers 409 ECONFLICT', async () => {
    const t0 = await begin();
    expect(await call('POST', `/transactions/${t0}/objects/zoo.cats`, { object: { name: 'Tom', age: 3 } })).toEqual({ status: 201, json: { pageId: 'page001' } });
    expect((await call('POST', `/transactions/${t0}/commit`)).json).toMatchObject({ seq: 1, readOnly: false });

    const a = await begin();
    const b = await begin();
    for (const t of [a, b]) expect((await call('GET', `/transactions/${t}/pages/zoo.cats/page001`)).json).toEqual({ objects: [{ name: 'Tom', age: 3 }] });
    expect((await call('PUT', `/transactions/${a}/pages/zoo.cats/page001`, { objects: [{ name: 'Tom', age: 4 }] })).status).toBe(204);
    expect((await call('PUT', `/transactions/${b}/pages/zoo.cats/page001`, { objects: [{ name: 'Tom', age: 5 }] })).status).toBe(204);
    expect((await call('POST', `/transactions/${a}/commit`)).status).toBe(200);
    const lost = await call('POST', `/transactions/${b}/commit`);
    expect(lost.status).toBe(409);
    expect(lost.json).toMatchObject({ error: { code: 'ECONFLICT' } });

    const c = await begin();
    expect((await call('POST', `/transactions/${c}/match`, { pattern: 'zoo.*' })).json).toEqual({ objects: [{ namespace: 'zoo.cats', pageId: 'page001', index: 0, object: { name: 'Tom', age: 4 } }] });
    expect((await call('POST', `/transactions/${c}/match`, { pattern: '^zoo\\.', regex: true })).status).toBe(200);
    expect((await call('POST', `/transactions/${c}/rollback`)).status).toBe(204);
    expect((await call('POST', `/transactions/${c}/commit`)).status).toBe(404);
  });

  it('bad input is a 4xx naming the problem; update without a read is 400', async () => {
    const t = await begin();
    expect((await call('GET', `/transactions/${t}/pages/zoo.cats/page001`)).status).toBe(404);
    expect((await call('PUT', `/transactions/${t}/pages/zoo.cats/page002`, { objects: [] })).json).toMatchObject({ error: { code: 'EINVAL' } });
    expect((await call('GET', `/transactions/${t}/pages/bad..ns/page001`)).status).toBe(400);
    expect((await call('GET', `/transactions/${t}/pages/zoo/p1`)).status).toBe(400);
    expect((await call('POST', `/transactions/${t}/match`, { pattern: '(', regex: true })).status).toBe(400);
    expect((await call('POST', '/transactions/0123456789abcdef0123456789abcdef/commit')).status).toBe(404);
  });

  it('a transaction idle past the timeout is rolled back', async () => {
    const r = await call('POST', '/transactions');
    const { id } = r.json as { id: string };
    await call('POST', `/transactions/${id}/objects/idle`, { object: { n: 1 } });
    // Watch, without touching the transaction (which would keep it alive), the server
    // process's registration in the store: it counts the open operation on namespace 'idle'
    // (written before the insert answered) until the transaction ends. (The store runs with
    // durability 'commit', so an uncommitted write leaves no version file to watch.)
    const procs = path.join(s.dataDir, 'mvcc', '.mvcc', 'procs');
    const openOps = (): number =>
      readdirSync(procs)
        .filter((n) => n.endsWith('.json'))
        .reduce((sum, n) => sum + ((JSON.parse(readFileSync(path.join(procs, n), 'utf8')) as { ops: Record<string, number> }).ops['idle'] ?? 0), 0);
    expect(openOps()).toBe(1);
    for (let i = 0; i < 400 && openOps() > 0; i++) await new Promise((done) => setTimeout(done, 25));
    expect(openOps()).toBe(0);
    expect((await call('POST', `/transactions/${id}/commit`)).status).toBe(404);
    // Nothing of it is visible to a new transaction.
    const after = await begin();
    expect((await call('POST', `/transactions/${after}/match`, { pattern: 'idle' })).json).toEqual({ objects: [] });
  });
});
