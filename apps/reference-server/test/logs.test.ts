import { existsSync } from 'node:fs';
import path from 'node:path';
import { EventLog } from '@store/eventlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startServer, type Running } from './helpers.js';

let s: Running;
beforeAll(async () => {
  s = await startServer({ limits: { maxBatchEvents: 100, maxOpenResources: 2, idleCloseMs: 200 } });
});
afterAll(async () => {
  await s.close();
});

const post = (name: string, body: string | Uint8Array, type?: string) =>
  fetch(`${s.url}/v1/logs/${name}/events`, { method: 'POST', body, ...(type === undefined ? {} : { headers: { 'content-type': type } }) });

interface Line {
  id: number;
  data: string;
}
const lines = (text: string): Line[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);

describe('event log routes', () => {
  it('appends one raw event, a JSON batch of base64 strings and an NDJSON batch, answering the ids', async () => {
    expect(await json(await post('a', new Uint8Array([0, 1, 255])))).toEqual({ id: 0 });
    expect(await json(await post('a', JSON.stringify([Buffer.from('x').toString('base64'), '']), 'application/json'))).toEqual({ first: 1, last: 2, count: 2 });
    expect(await json(await post('a', '{"k":1}\r\n\n{"k":2}\n{"k":3}', 'application/x-ndjson'))).toEqual({ first: 3, last: 5, count: 3 });
    const text = await (await fetch(`${s.url}/v1/logs/a/events`)).text();
    const got = lines(text).map((l) => [l.id, Buffer.from(l.data, 'base64').toString('latin1')]);
    expect(got).toEqual([
      [0, '\x00\x01\xff'],
      [1, 'x'],
      [2, ''],
      [3, '{"k":1}'],
      [4, '{"k":2}'],
      [5, '{"k":3}'],
    ]);
    expect(existsSync(path.join(s.dataDir, 'logs/a/meta.json'))).toBe(true);
  });

  it('reads a range [from, to), one event by id as raw bytes, stats and verify', async () => {
    await post('b', JSON.stringify(Array.from({ length: 50 }, (_, i) => Buffer.from(`event ${i}`).toString('base64'))), 'application/json');
    const range = lines(await (await fetch(`${s.url}/v1/logs/b/events?from=10&to=13`)).text());
    expect(range.map((l) => l.id)).toEqual([10, 11, 12]);
    const one = await fetch(`${s.url}/v1/logs/b/events/42`);
    expect(one.headers.get('content-type')).toBe('application/octet-stream');
    expect(await one.text()).toBe('event 42');
    expect((await fetch(`${s.url}/v1/logs/b/events/50`)).status).toBe(404);
    const stats = (await json(await fetch(`${s.url}/v1/logs/b/stats`))) as Record<string, unknown>;
    expect(stats).toMatchObject({ name: 'b', events: 50, oldestEventId: 0, newestEventId: 49, nextId: 50, durability: 'batch' });
    expect(JSON.stringify(stats)).not.toContain(s.dataDir);
    expect(await json(await fetch(`${s.url}/v1/logs/b/verify`))).toMatchObject({ ok: true, recordsChecked: 50, problems: [] });
  });

  it('an acknowledged append is on disk: another reader opening the directory sees it', async () => {
    await post('durable', 'persisted');
    const reader = await EventLog.open(path.join(s.dataDir, 'logs/durable'), { readOnly: true });
    try {
      expect(Buffer.from(await reader.get(0)).toString()).toBe('persisted');
    } finally {
      await reader.close();
    }
  });

  it('follow=1 keeps the stream open and sends events as they are appended (tail over HTTP)', async () => {
    await post('tail', 'first');
    const abort = new AbortController();
    const response = await fetch(`${s.url}/v1/logs/tail/events?follow=1`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const reader = response.body!.getReader();
    const seen: Line[] = [];
    let buffer = '';
    const readUntil = async (n: number): Promise<void> => {
      while (seen.length < n) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += Buffer.from(value).toString('utf8');
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        for (const p of parts) if (p !== '') seen.push(JSON.parse(p) as Line);
      }
    };
    await readUntil(1);
    await post('tail', 'second');
    await post('tail', JSON.stringify(['dGhpcmQ=']), 'application/json');
    await readUntil(3);
    expect(seen.map((l) => Buffer.from(l.data, 'base64').toString())).toEqual(['first', 'second', 'third']);
    abort.abort();
  });

  it('reading a log that does not exist is 404 and creates nothing', async () => {
    for (const p of ['events', 'events/0', 'stats', 'verify']) {
      const r = await fetch(`${s.url}/v1/logs/ghost/${p}`);
      expect(r.status, p).toBe(404);
      expect(((await json(r)) as { error: { code: string } }).error.code).toBe('ENOENT');
    }
    expect(existsSync(path.join(s.dataDir, 'logs/ghost'))).toBe(false);
  });

  it('bad input: 400 with the reason (bad base64, not an array, empty batch, bad name, bad query)', async () => {
    const cases: Array<[Promise<Response>, string]> = [
      [post('c', '["not base64!"]', 'application/json'), 'base64'],
      [post('c', '{"a":1}', 'application/json'), 'array'],
      [post('c', '[1]', 'application/json'), 'base64'],
      // Not canonical padded base64: missing padding, pad bits set, URL alphabet, whitespace, a '=' inside.
      [post('c', '["QQ"]', 'application/json'), 'batch[0] is not a base64'],
      [post('c', '["QQ==","QR=="]', 'application/json'), 'batch[1] is not a base64'],
      [post('c', '["ab-_"]', 'application/json'), 'base64'],
      [post('c', '["QUJD RA=="]', 'application/json'), 'base64'],
      [post('c', '["QQ==QQ=="]', 'application/json'), 'base64'],
      [post('c', '[', 'application/json'), 'JSON'],
      [post('c', '\n\n', 'application/x-ndjson'), 'no event'],
      [post('a%2Fb', 'x'), 'one path segment'],
      [fetch(`${s.url}/v1/logs/c/events?from=-1`), 'from'],
      [fetch(`${s.url}/v1/logs/c/events?follow=maybe`), 'follow'],
      [fetch(`${s.url}/v1/logs/c/events/x`), 'id'],
    ];
    for (const [request, reason] of cases) {
      const r = await request;
      const body = (await json(r)) as { error: { code: string; message: string } };
      expect(r.status, reason).toBe(400);
      expect(body.error.code).toBe('EINVAL');
      expect(body.error.message).toContain(reason);
    }
  });

  it('a batch over maxBatchEvents is 400 naming the limit', async () => {
    const r = await post('d', JSON.stringify(Array.from({ length: 101 }, () => 'AA==')), 'application/json');
    expect(r.status).toBe(400);
    expect(await json(r)).toMatchObject({ error: { code: 'ELIMIT', limit: 'maxBatchEvents' } });
    expect(existsSync(path.join(s.dataDir, 'logs/d'))).toBe(false);
  });

  it('open logs stay within maxOpenResources (LRU) and idle ones are closed, then reopen on use', async () => {
    for (const name of ['l1', 'l2', 'l3', 'l4']) await post(name, name);
    // The bound is 2: opening l3 and l4 closed the least recently used idle logs.
    await expect.poll(() => s.server.ctx.resources.size, { timeout: 10_000 }).toBeLessThanOrEqual(2);
    // Idle close (200 ms here) empties the registry without any request.
    await expect.poll(() => s.server.ctx.resources.size, { timeout: 10_000 }).toBe(0);
    await post('l1', 'again');
    const all = lines(await (await fetch(`${s.url}/v1/logs/l1/events`)).text());
    expect(all.map((l) => Buffer.from(l.data, 'base64').toString())).toEqual(['l1', 'again']);
  });
});
