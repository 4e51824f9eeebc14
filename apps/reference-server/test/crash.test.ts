import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, tempDir, type ServerProcess } from './helpers.js';
import { identifyContent, prng, versionContent } from './load.js';

/**
 * Crash: a server under PUT, event-append and scalar-logging load is killed with SIGKILL;
 * after each restart every request that got a 2xx reads back exactly (the last
 * acknowledged version of each file, or the one write that was in flight on it; every
 * acknowledged event and scalar) and no file is torn.
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

function latch(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('SIGKILL under load', () => {
  it(`${CYCLES} kill cycles lose no acknowledged write and leave no torn file`, async ({ signal: testSignal }) => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, 'data');
    const seed = Number(process.env.SERVER_CRASH_SEED ?? Date.now() % 2 ** 31);
    const random = prng(seed);
    const keys = new Map<string, KeyState>();
    /** Every event acknowledged, by id. */
    const events = new Map<number, string>();
    /** Every scalar acknowledged by POST /v1/scalars, by step. */
    const scalars = new Map<number, number>();
    let step = 0;
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
      if (scalars.size > 0) {
        const points = (await (await fetch(`${url}/v1/scalars?run=crash&tag=x`)).json()) as Array<{ step: number; value: number }>;
        const read = new Map(points.map((p) => [p.step, p.value]));
        for (const [s, v] of scalars) expect(read.get(s), `${where}: scalar step ${s}`).toBe(v);
      }
    };

    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      // A timed-out test keeps running in the background: start no server after that.
      testSignal.throwIfAborted();
      running = await spawnServer(['--data', dataDir]);
      const url = running.url;
      await verify(url, cycle);
      if (cycle === CYCLES) break;
      let stop = false;
      // Each kind of load (file PUT, event append, scalar POST) signals its first answer.
      const answered = { put: latch(), append: latch(), scalar: latch() };
      const putWorker = async (w: number): Promise<void> => {
        for (let n = 0; !stop; n++) {
          const key = `crash/w${w}/k${n % KEYS_PER_WORKER}`;
          const state = keys.get(key) ?? { acked: -1, inFlight: undefined };
          const v = ++version;
          state.inFlight = v;
          keys.set(key, state);
          const r = await fetch(`${url}/v1/files/${key}`, { method: 'PUT', body: versionContent(key, v, Math.floor(random() * 48 * 1024)) }).catch(() => undefined);
          if (r === undefined) return answered.put.open();
          if (r.status === 200) {
            state.acked = v;
            state.inFlight = undefined;
          }
          await r.arrayBuffer().catch(() => undefined);
          answered.put.open();
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
          if (r === undefined) return answered.append.open();
          const body = (await r.json().catch(() => undefined)) as { first: number } | undefined;
          if (r.status === 200 && body !== undefined) batch.forEach((e, i) => events.set(body.first + i, e));
          answered.append.open();
        }
      };
      const scalarWorker = async (): Promise<void> => {
        while (!stop) {
          const values = Array.from({ length: 1 + Math.floor(random() * 10) }, () => ({ tag: 'x', step: step++, value: Math.fround(random()) }));
          const r = await fetch(`${url}/v1/scalars?run=crash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(values) }).catch(() => undefined);
          if (r === undefined) return answered.scalar.open();
          await r.arrayBuffer().catch(() => undefined);
          if (r.status === 200) for (const v of values) scalars.set(v.step, v.value);
          answered.scalar.open();
        }
      };
      const load = Promise.all([
        scalarWorker(),...Array.from({ length: PUT_WORKERS }, (_, w) => putWorker(w)), ...Array.from({ length: APPEND_WORKERS }, (_, w) => appendWorker(w))]);
      // The first request of each kind opens a log or a writer: kill only once all three
      // have been answered, so every cycle kills the server with all three loads in flight.
      await Promise.all([answered.put.promise, answered.append.promise, answered.scalar.promise]);
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
    expect(scalars.size).toBeGreaterThan(0);
    expect([...keys.values()].some((k) => k.acked > 0)).toBe(true);
  }, 300_000);
});
