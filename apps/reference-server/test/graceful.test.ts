import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, tempDir, type ServerProcess } from './helpers.js';

/**
 * Graceful stop: SIGTERM while a follow stream is open and appends are in flight. The
 * server ends the stream cleanly, finishes the requests it accepted, closes the log, exits
 * 0, and every event it acknowledged is there after a restart.
 */
let cleanup: (() => Promise<void>) | undefined;
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) {
    s.child.kill('SIGKILL');
    await s.exited;
  }
  await cleanup?.();
});

describe('SIGTERM', () => {
  it('during a follow stream and appends: the stream ends, exit 0, no acknowledged event lost', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, 'data');
    const server = await spawnServer(['--data', dataDir]);
    started.push(server);
    const url = server.url;
    const acked = new Map<number, string>();
    const first = (await (await fetch(`${url}/v1/logs/g/events`, { method: 'POST', body: 'start' })).json()) as { id: number };
    acked.set(first.id, 'start');

    // The follow stream, read to its end.
    const follow = await fetch(`${url}/v1/logs/g/events?follow=1`);
    const followed = (async () => {
      const lines: Array<{ id: number; data: string }> = [];
      let buffer = '';
      for await (const chunk of follow.body!) {
        buffer += Buffer.from(chunk).toString('utf8');
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        for (const p of parts) if (p !== '') lines.push(JSON.parse(p) as { id: number; data: string });
      }
      return { lines, rest: buffer };
    })();

    let stop = false;
    const appender = async (w: number): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const data = `w${w}-${n}`;
        const r = await fetch(`${url}/v1/logs/g/events`, { method: 'POST', body: data }).catch(() => undefined);
        if (r === undefined) return;
        const body = (await r.json().catch(() => undefined)) as { id?: number } | undefined;
        if (r.status === 200 && typeof body?.id === 'number') acked.set(body.id, data);
        else if (r.status !== 503) throw new Error(`append answered ${r.status}`);
      }
    };
    const load = Promise.all([appender(0), appender(1), appender(2)]);
    // Let appends flow, then stop the server in the middle of them.
    while (acked.size < 30) await new Promise((r) => setTimeout(r, 10));
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    stop = true;
    await load;
    expect(exit, server.stdout() + server.stderr()).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toMatch(/stopped/);

    // The stream ended without a torn line, and what it sent is the log's own prefix.
    const { lines, rest } = await followed;
    expect(rest).toBe('');
    lines.forEach((l, i) => expect(l.id).toBe(i));

    const again = await spawnServer(['--data', dataDir]);
    started.push(again);
    const text = await (await fetch(`${again.url}/v1/logs/g/events`)).text();
    const onDisk = new Map<number, string>();
    for (const line of text.split('\n').filter((l) => l !== '')) {
      const e = JSON.parse(line) as { id: number; data: string };
      onDisk.set(e.id, Buffer.from(e.data, 'base64').toString());
    }
    for (const [id, data] of acked) expect(onDisk.get(id), `event ${id}`).toBe(data);
    for (const l of lines) expect(onDisk.get(l.id)).toBe(Buffer.from(l.data, 'base64').toString());
    // A clean close: nothing for recovery to do on this open.
    const stats = (await (await fetch(`${again.url}/v1/logs/g/stats`)).json()) as { recovery: { truncated: unknown[] } };
    expect(stats.recovery.truncated).toEqual([]);
    again.child.kill('SIGINT');
    expect((await again.exited).code).toBe(0);
  });

  it('during an upload: the PUT in flight completes, then exit 0', async () => {
    const t = await tempDir();
    const dataDir = path.join(t.dir, 'data');
    try {
      const server = await spawnServer(['--data', dataDir]);
      started.push(server);
      const big = Buffer.alloc(8 * 1024 * 1024, 7);
      const put = fetch(`${server.url}/v1/files/big.bin`, { method: 'PUT', body: big });
      // Give the request time to be accepted before the signal.
      await new Promise((r) => setTimeout(r, 100));
      server.child.kill('SIGTERM');
      const r = await put.catch(() => undefined);
      const exit = await server.exited;
      expect(exit.code, server.stdout() + server.stderr()).toBe(0);
      if (r !== undefined && r.status === 200) {
        const again = await spawnServer(['--data', dataDir]);
        started.push(again);
        const back = Buffer.from(await (await fetch(`${again.url}/v1/files/big.bin`)).arrayBuffer());
        expect(back.equals(big)).toBe(true);
        again.child.kill('SIGTERM');
        await again.exited;
      }
    } finally {
      await t.cleanup();
    }
  });
});
