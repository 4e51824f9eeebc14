import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32c, isStorageError } from '@store/backend-core';
import { EventLog, SEGMENT_HEADER_SIZE } from '../src/index.js';
import { collect, dec, enc, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => cleanup());

const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (e: unknown) => (isStorageError(e) ? e.code : String(e)));

describe('appending and reading', () => {
  it('round-trips events through append, get and iterRange, across reopen', async () => {
    {
      await using log = await EventLog.open(dir);
      expect(await log.append(enc('a'))).toBe(0);
      expect(await log.append(enc('b'))).toBe(1);
      expect(await log.appendWithId(2, enc('c'))).toBe(2);
      expect(await log.appendBatchWithIds(3, [enc('d'), enc('e')])).toBe(4);
      expect(await log.appendBatch([enc('f')])).toBe(5);
      expect(dec(await log.get(3))).toBe('d');
      expect((await collect(log.iterRange(1, 4))).map((e) => [e.id, dec(e.data)])).toEqual([[1, 'b'], [2, 'c'], [3, 'd']]);
    }
    await using log = await EventLog.open(dir);
    expect(log.nextId).toBe(6);
    expect(await log.oldestEventId()).toBe(0);
    expect(await log.newestEventId()).toBe(5);
    expect((await collect(log.iterRange(0))).map((e) => dec(e.data)).join('')).toBe('abcdef');
  });

  it('writes the documented bytes', async () => {
    {
      await using log = await EventLog.open(dir);
      await log.syncCounter(7);
      await log.append(enc('hi'));
    }
    const bytes = await readFile(path.join(dir, 'events-00000000.log'));
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('EVLG');
    expect(bytes.readUInt16BE(4)).toBe(1);
    // The header holds the next id when the segment was created: a lower bound for its records.
    expect(Number(bytes.readBigUInt64BE(8))).toBe(0);
    expect(bytes.readUInt32BE(16)).toBe(crc32c(bytes.subarray(0, 16)));
    const r = bytes.subarray(SEGMENT_HEADER_SIZE);
    expect(Number(r.readBigUInt64BE(0))).toBe(7);
    expect(r.readUInt32BE(8)).toBe(2);
    expect(r.readUInt32BE(12)).toBe(crc32c(Buffer.concat([r.subarray(0, 12), r.subarray(16)])));
    expect(r.subarray(16).toString()).toBe('hi');
    expect(r.length).toBe(18);
  });

  it('rejects ids that break continuity with ECONFLICT naming the expected id', async () => {
    await using log = await EventLog.open(dir);
    await log.append(enc('x'));
    const err = await log.appendWithId(5, enc('y')).catch((e: unknown) => e);
    expect(isStorageError(err, 'ECONFLICT')).toBe(true);
    expect(String(err)).toContain('expected id 1');
    expect(await code(log.appendBatchWithIds(0, [enc('z')]))).toBe('ECONFLICT');
    expect(await code(log.appendWithId(1.5, enc('z')))).toBe('ECONFLICT');
    expect(await code(log.append('text' as unknown as Uint8Array))).toBe('EINVAL');
    expect(await code(log.appendBatchWithIds(1, [enc('ok'), 42 as unknown as Uint8Array]))).toBe('EINVAL');
    expect(log.nextId).toBe(1); // nothing of the rejected batch went in
    expect(await code(log.syncCounter(0))).toBe('ECONFLICT');
  });

  it('syncCounter moves the counter forward, durably, and ids may then jump', async () => {
    {
      await using log = await EventLog.open(dir);
      await log.append(enc('0'));
      await log.syncCounter(100);
    }
    await using log = await EventLog.open(dir);
    expect(log.nextId).toBe(100);
    await log.appendWithId(100, enc('100'));
    expect(dec(await log.get(100))).toBe('100');
    expect(await code(log.get(50))).toBe('ENOENT');
    expect((await collect(log.iterRange(0))).map((e) => e.id)).toEqual([0, 100]);
  });

  it('get reports missing ids with ENOENT and bad ids with EINVAL', async () => {
    await using log = await EventLog.open(dir);
    expect(await code(log.get(0))).toBe('ENOENT');
    await log.append(enc('a'));
    expect(await code(log.get(1))).toBe('ENOENT');
    expect(await code(log.get(-1))).toBe('EINVAL');
    expect(await code(log.get(Number.NaN))).toBe('EINVAL');
  });

  it('rotates at maxFileSize and reads across segments, including big events', async () => {
    await using log = await EventLog.open(dir, { maxFileSize: 4096, writeBufferSize: 256, indexInterval: 128 });
    const big = new Uint8Array(10_000).fill(7);
    for (let i = 0; i < 300; i++) await log.append(i === 150 ? big : enc(`event-${i}`));
    const names = (await readdir(dir)).filter((n) => n.endsWith('.log'));
    expect(names.length).toBeGreaterThan(2);
    const events = await collect(log.iterRange(0));
    expect(events.map((e) => e.id)).toEqual([...Array(300).keys()]);
    expect(Buffer.from(events[150]!.data).equals(big)).toBe(true);
    for (const id of [0, 1, 77, 149, 150, 151, 299]) expect((await log.get(id)).length).toBe(id === 150 ? 10_000 : `event-${id}`.length);
    expect((await collect(log.iterRange(140, 160))).map((e) => e.id)).toEqual([...Array(20).keys()].map((i) => i + 140));
    await log.rotate();
    await log.append(enc('after rotate'));
    expect(dec(await log.get(300))).toBe('after rotate');
  });

  it('iterRange sees events appended while it runs, and follows until end', async () => {
    await using log = await EventLog.open(dir);
    for (let i = 0; i < 10; i++) await log.append(enc(String(i)));
    const seen: number[] = [];
    for await (const e of log.iterRange(0)) {
      seen.push(e.id);
      if (e.id < 20) await log.append(enc(String(e.id + 10)));
    }
    expect(seen).toEqual([...Array(30).keys()]);
    const follower = collect(log.iterRange(30, 35, { follow: true, pollMs: 5 }));
    for (let i = 30; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 2));
      await log.append(enc(String(i)));
    }
    expect((await follower).map((e) => e.id)).toEqual([30, 31, 32, 33, 34]);
    const ac = new AbortController();
    const pending = collect(log.iterRange(40, undefined, { follow: true, pollMs: 5, signal: ac.signal }));
    ac.abort();
    await expect(pending).rejects.toThrow();
  });

  it('iterBatches yields the same events as iterRange, in batches', async () => {
    await using log = await EventLog.open(dir, { maxFileSize: 4096 });
    for (let i = 0; i < 1000; i++) await log.append(enc(`e${i}`));
    const batches = await collect(log.iterBatches(5, 995, { maxBatch: 100 }));
    expect(batches.length).toBeGreaterThan(9);
    expect(batches.every((b) => b.length <= 100)).toBe(true);
    const flat = batches.flat();
    expect(flat.map((e) => e.id)).toEqual([...Array(990).keys()].map((i) => i + 5));
    expect(flat.every((e) => dec(e.data) === `e${e.id}`)).toBe(true);
  });

  it('deleteRange removes whole sealed segments from the head and returns the count', async () => {
    await using log = await EventLog.open(dir, { maxFileSize: 4096 });
    for (let i = 0; i < 400; i++) await log.append(enc(`event-${String(i).padStart(4, '0')}`));
    const logs = async (): Promise<number> => (await readdir(dir)).filter((n) => n.endsWith('.log')).length;
    const before = await logs();
    expect(await log.deleteRange(0, 10)).toBe(0); // no whole segment inside
    const firstSegmentEnd = (await collect(log.iterRange(0))).length;
    expect(firstSegmentEnd).toBe(400);
    const deleted = await log.deleteRange(0, 250);
    expect(deleted).toBeGreaterThan(0);
    const oldest = (await log.oldestEventId())!;
    expect(oldest).toBe(deleted);
    expect(await logs()).toBeLessThan(before);
    expect(await code(log.get(0))).toBe('ENOENT');
    expect((await collect(log.iterRange(0))).map((e) => e.id)[0]).toBe(oldest);
    expect(await code(log.deleteRange(350, 10_000))).toBe('resolved'); // active segment is never deleted
    await log.close();
    await using again = await EventLog.open(dir);
    expect(await again.oldestEventId()).toBe(oldest);
  });

  it('a reader opened before deleteRange follows it (and the archive) instead of failing', async () => {
    await using log = await EventLog.open(dir, { maxFileSize: 4096 });
    for (let i = 0; i < 400; i++) await log.append(enc(`event-${String(i).padStart(4, '0')}`));
    await log.flush();
    await using reader = await EventLog.open(dir, { readOnly: true });
    const deleted = await log.deleteRange(0, 200);
    expect(deleted).toBeGreaterThan(0);
    const ids = (await collect(reader.iterRange(0))).map((e) => e.id);
    expect(ids[0]).toBe(deleted);
    expect(ids[ids.length - 1]).toBe(399);
    expect(await reader.oldestEventId()).toBe(deleted);
  });

  it('deleteRange refuses to punch a hole in the middle', async () => {
    await using log = await EventLog.open(dir, { maxFileSize: 4096 });
    for (let i = 0; i < 600; i++) await log.append(enc(`event-${String(i).padStart(4, '0')}`));
    expect(await code(log.deleteRange(200, 500))).toBe('EINVAL');
  });

  it('a second writer gets ELOCKED, readers are fine, closed logs say ECLOSED', async () => {
    const log = await EventLog.open(dir);
    await log.append(enc('x'));
    expect(await code(EventLog.open(dir))).toBe('ELOCKED');
    const reader = await EventLog.open(dir, { readOnly: true });
    await log.flush();
    expect(dec(await reader.get(0))).toBe('x');
    expect(await code(reader.append(enc('no')))).toBe('EACCES');
    await reader.close();
    await log.close();
    expect(await code(log.append(enc('late')))).toBe('ECLOSED');
    expect(await code(log.get(0))).toBe('ECLOSED');
    const again = await EventLog.open(dir);
    await again.close();
  });

  it('validates options and refuses read-only open of an empty directory', async () => {
    expect(await code(EventLog.open(dir, { maxFileSize: 10 }))).toBe('EINVAL');
    expect(await code(EventLog.open(dir, { durability: 'sometimes' as 'none' }))).toBe('EINVAL');
    expect(await code(EventLog.open(path.join(dir, 'nothing'), { readOnly: true }))).toBe('ENOENT');
  });

  it('durability modes: always and batch fsync, batch shares fsyncs', async () => {
    {
      await using log = await EventLog.open(dir, { durability: 'always' });
      for (let i = 0; i < 5; i++) await log.append(enc('a'));
      expect((await log.stats()).syncs).toBe(5);
    }
    await using log = await EventLog.open(dir, { durability: 'batch' });
    await Promise.all(Array.from({ length: 1000 }, () => log.append(enc('b'))));
    const { syncs, events } = await log.stats();
    expect(events).toBe(1005);
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThan(10);
    await log.sync();
  });

  it('stats report the shape of the log', async () => {
    await using log = await EventLog.open(dir, { maxFileSize: 4096 });
    for (let i = 0; i < 400; i++) await log.append(enc(`e${i}`));
    // A block is cached on its second miss; the third get is a hit.
    for (let i = 0; i < 3; i++) await log.get(10);
    const s = await log.stats();
    expect(s.events).toBe(400);
    expect(s.segments).toBeGreaterThan(1);
    expect(s.oldestEventId).toBe(0);
    expect(s.newestEventId).toBe(399);
    expect(s.cache).toMatchObject({ hits: 1, misses: 2 });
  });

  it('meta.json that is not JSON is reported as ECORRUPT with its path', async () => {
    {
      await using log = await EventLog.open(dir);
      await log.append(enc('x'));
    }
    await writeFile(path.join(dir, 'meta.json'), '{ nope');
    const err = await EventLog.open(dir).catch((e: unknown) => e);
    expect(isStorageError(err, 'ECORRUPT')).toBe(true);
    expect((err as { path: string }).path).toBe('meta.json');
  });
});
