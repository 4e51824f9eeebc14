import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, tempDir, type ServerProcess } from './helpers.js';
import { identifyContent, prng, versionContent } from './load.js';

/**
 * Crash: a server under PUT and append load is killed with SIGKILL; after each restart
 * every request that got a 2xx reads back exactly (the last acknowledged version of each
 * file, or the one write that was in flight on it) and no file is torn.
 */
const CYCLES = Number(process.env.SERVER_CRASH_CYCLES ?? 20);
const PUT_WORKERS = 4;
const KEYS_PER_WORKER = 3;
const APPEND_WORKERS = 2;

interface KeyState {
  acked: number;
  inFlight: number | undefined;
}

let cleanup: (() => Promise<void>) | undefined;
let running: ServerProcess | undefined;
afterAll(async () => {
  running?.child.kill('SIGKILL');
  await running?.exited;
  await cleanup?.();
});

describe('SIGKILL under load', () => {
  it(`${CYCLES} kill cycles lose no acknowledged write and leave no torn file`, async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, 'data');
    const seed = Number(process.env.SERVER_CRASH_SEED ?? Date.now() % 2 ** 31);
    const random = prng(seed);
    const keys = new Map<string, KeyState>();
    /** Every event acknowledged, by id. */
    const events = new Map<number, string>();
    let version = 0;

    const verify = async (url: string, cycle: number): Promise<void> => {
      const where = `after kill ${cycle} (SERVER_CRASH_SEED=${seed})`;
      for (const [key, state] of keys) {
        const r = await fetch(`${url}/v1/files/${key}`);
        if (r.status === 404 && state.acked === -1) {
          // Its first write was in flight and never answered: it may not exist.
          await r.arrayBuffer();
          keys.delete(key);
          continue;
        }
        expect(r.status, `${where}: ${key}`).toBe(200);
        const got = identifyContent(key, new Uint8Array(await r.arrayBuffer()));
        expect(got, `${where}: ${key} is torn`).toBeDefined();
        expect([state.acked, state.inFlight], `${where}: ${key} holds version ${got}`).toContain(got);
        state.acked = got!;
        state.inFlight = undefined;
      }
      // The files on disk, as the data directory holds them: each one a whole version.
      const listed = (await (await fetch(`${url}/v1/files/crash/?recursive=1`)).json()) as string[];
      expect(listed.sort()).toEqual([...keys.keys()].map((k) => k.slice('crash/'.length)).sort());
      for (const name of listed) {
        const bytes = await readFile(path.join(dataDir, 'crash', name));
        expect(identifyContent(`crash/${name}`, bytes), `${where}: crash/${name} on disk`).toBeDefined();
      }
      if (events.size > 0) {
        const text = await (await fetch(`${url}/v1/logs/crash/events`)).text();
        const onDisk = new Map<number, string>();
        for (const line of text.split('\n')) {
          if (line === '') continue;
          const e = JSON.parse(line) as { id: number; data: string };
          onDisk.set(e.id, Buffer.from(e.data, 'base64').toString());
        }
        for (const [id, data] of events) expect(onDisk.get(id), `${where}: event ${id}`).toBe(data);
        expect(((await (await fetch(`${url}/v1/logs/crash/verify`)).json()) as { ok: boolean }).ok, where).toBe(true);
      }
    };

    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      running = await spawnServer(['--data', dataDir]);
      const url = running.url;
      await verify(url, cycle);
      if (cycle === CYCLES) break;
      let stop = false;
      const putWorker = async (w: number): Promise<void> => {
        for (let n = 0; !stop; n++) {
          const key = `crash/w${w}/k${n % KEYS_PER_WORKER}`;
          const state = keys.get(key) ?? { acked: -1, inFlight: undefined };
          const v = ++version;
          state.inFlight = v;
          keys.set(key, state);
          const r = await fetch(`${url}/v1/files/${key}`, { method: 'PUT', body: versionContent(key, v, Math.floor(random() * 48 * 1024)) }).catch(() => undefined);
          if (r === undefined) return;
          if (r.status === 200) {
            state.acked = v;
            state.inFlight = undefined;
          }
          await r.arrayBuffer().catch(() => undefined);
        }
      };
      const appendWorker = async (w: number): Promise<void> => {
        for (let n = 0; !stop; n++) {
          const batch = Array.from({ length: 1 + Math.floor(random() * 20) }, (_, i) => `c${cycle}-w${w}-${n}-${i}`);
          const r = await fetch(`${url}/v1/logs/crash/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(batch.map((e) => Buffer.from(e).toString('base64'))),
          }).catch(() => undefined);
          if (r === undefined) return;
          const body = (await r.json().catch(() => undefined)) as { first: number } | undefined;
          if (r.status === 200 && body !== undefined) batch.forEach((e, i) => events.set(body.first + i, e));
        }
      };
      const load = Promise.all([...Array.from({ length: PUT_WORKERS }, (_, w) => putWorker(w)), ...Array.from({ length: APPEND_WORKERS }, (_, w) => appendWorker(w))]);
      await new Promise((r) => setTimeout(r, 50 + Math.floor(random() * 250)));
      running.child.kill('SIGKILL');
      const { signal } = await running.exited;
      expect(signal).toBe('SIGKILL');
      stop = true;
      await load;
    }
    running!.child.kill('SIGTERM');
    expect((await running!.exited).code).toBe(0);
    running = undefined;
    expect(events.size).toBeGreaterThan(0);
    expect([...keys.values()].some((k) => k.acked > 0)).toBe(true);
  });
});
