import { spawnSync } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { EventLog, SEGMENT_HEADER_SIZE, RECORD_HEADER_SIZE } from '../src/index.js';
import { READ_AHEAD_MIN_BYTES, readAheadCounters } from '../src/read-ahead.js';
import { tempDir } from './helpers.js';

// Long scans are read ahead (and checksummed) by a worker thread; these logs are big enough
// for that: three segments of up to 10 MiB.
const COUNT = 120_000;
const MAX_FILE = 10 * 1024 * 1024;
/** Four events are bigger than a read-ahead chunk (1 MiB). */
const sizeOf = (id: number): number => (id % 29_989 === 15_000 ? 1_500_000 + (id % 7) : 40 + ((id * 37) % 120));
function payload(id: number): Buffer {
  const b = Buffer.alloc(sizeOf(id));
  for (let i = 0; i < b.length; i += 251) b[i] = (id + i) & 0xff;
  b.writeUInt32BE(id >>> 0, 0);
  return b;
}
const same = (a: Uint8Array, id: number): boolean => Buffer.from(a).equals(payload(id));

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist', 'index.js');

describe('read-ahead of long scans', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let log: string;
  /** Record offsets in segment 0, to name the record a flipped byte belongs to. */
  const offsets: number[] = [];
  let segment0End = 0;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    log = path.join(dir, 'log');
    const w = await EventLog.open(log, { maxFileSize: MAX_FILE });
    for (let id = 0; id < COUNT; id += 500) await w.appendBatchWithIds(id, Array.from({ length: 500 }, (_, i) => payload(id + i)));
    await w.close();
    // Record offsets from the file itself (the writer decides where segment 0 ends).
    const bytes = await readFile(path.join(log, 'events-00000000.log'));
    for (let pos = SEGMENT_HEADER_SIZE; pos < bytes.length; pos += RECORD_HEADER_SIZE + bytes.readUInt32BE(pos + 8)) offsets.push(pos);
    segment0End = bytes.length;
    expect(segment0End).toBeGreaterThan(READ_AHEAD_MIN_BYTES + (1 << 20));
  });
  afterAll(async () => cleanup());

  it('returns every event of a long scan, byte for byte, from chunks the worker read', async () => {
    const before = { ...readAheadCounters };
    await using reader = await EventLog.open(log, { readOnly: true });
    let next = 0;
    for await (const e of reader.iterRange(0)) {
      if (e.id !== next || !same(e.data, e.id)) expect.fail(`event ${e.id} (expected ${next}) is wrong`);
      next++;
    }
    expect(next).toBe(COUNT);
    expect(readAheadCounters.streams).toBeGreaterThan(before.streams);
    // Most of the ~20 MiB came from the worker, big events among it.
    expect(readAheadCounters.chunks - before.chunks, JSON.stringify({ before, after: readAheadCounters })).toBeGreaterThan(12);

    let batched = 0;
    for await (const batch of reader.iterBatches(0)) {
      for (const e of batch) if (e.id !== batched++ || !same(e.data, e.id)) expect.fail(`batch event ${e.id} is wrong`);
    }
    expect(batched).toBe(COUNT);
  });

  it('honours start and end inside read-ahead chunks, and stops cleanly on break', async () => {
    await using reader = await EventLog.open(log, { readOnly: true });
    const ids: number[] = [];
    for await (const e of reader.iterRange(12_345, 97_890)) {
      if (!same(e.data, e.id)) expect.fail(`event ${e.id} is wrong`);
      ids.push(e.id);
    }
    expect(ids.length).toBe(97_890 - 12_345);
    expect(ids[0]).toBe(12_345);
    expect(ids.at(-1)).toBe(97_889);
    let seen = 0;
    for await (const e of reader.iterRange(0)) {
      if (++seen === 30_000) {
        expect(e.id).toBe(29_999);
        break;
      }
    }
  });

  it('reports a flipped byte anywhere in a read-ahead region at its record, and returns nothing damaged', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 3 << 20, max: segment0End - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
        const copy = path.join(dir, `flip-${run++}`);
        await cp(log, copy, { recursive: true });
        const file = path.join(copy, 'events-00000000.log');
        const bytes = await readFile(file);
        bytes[at]! ^= 1 << bit;
        await writeFile(file, bytes);
        let record = offsets.length - 1;
        while (offsets[record]! > at) record--;

        await using reader = await EventLog.open(copy, { readOnly: true });
        let next = 0;
        let error: unknown;
        try {
          for await (const e of reader.iterRange(0)) {
            if (e.id !== next || !same(e.data, e.id)) expect.fail(`flip at ${at}: event ${e.id} returned wrong`);
            next++;
          }
        } catch (caught) {
          error = caught;
        }
        expect(isStorageError(error) && error.code === 'ECORRUPT', `flip at ${at} not reported: ${String(error)}`).toBe(true);
        const e = error as { path?: string; offset?: number };
        expect(e.path).toBe('events-00000000.log');
        expect(e.offset).toBe(offsets[record]);
        expect(next).toBe(record);
      }),
      { numRuns: 25, seed: 20261122 },
    );
  });

  it('reads on past where the read-ahead stopped while the writer keeps appending', async () => {
    const d = path.join(dir, 'growing');
    const w = await EventLog.open(d);
    for (let id = 0; id < 50_000; id += 500) await w.appendBatchWithIds(id, Array.from({ length: 500 }, (_, i) => payload(id + i)));
    const total = 70_000;
    let next = 0;
    const reading = (async () => {
      for await (const e of w.iterRange(0, total, { follow: true, pollMs: 2 })) {
        if (e.id !== next || !same(e.data, e.id)) expect.fail(`event ${e.id} (expected ${next}) is wrong`);
        next++;
      }
    })();
    for (let id = 50_000; id < total; id += 500) {
      await w.appendBatchWithIds(id, Array.from({ length: 500 }, (_, i) => payload(id + i)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await reading;
    expect(next).toBe(total);
    await w.close();
  });

  it('answers next() calls made before the previous one settled, in order', async () => {
    await using reader = await EventLog.open(log, { readOnly: true });
    const it = reader.iterRange(0)[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: COUNT + 1 }, () => it.next()));
    for (let i = 0; i < COUNT; i++) {
      const r = results[i]!;
      if (r.done === true || r.value.id !== i || !same(r.value.data, i)) expect.fail(`next() #${i} answered ${r.done === true ? 'done' : r.value.id}`);
    }
    expect(results[COUNT]!.done).toBe(true);
  });

  it('keeps events in order for a consumer that keeps three next() calls in flight', async () => {
    await using reader = await EventLog.open(log, { readOnly: true });
    const it = reader.iterRange(0)[Symbol.asyncIterator]();
    const window = [it.next(), it.next(), it.next()];
    let next = 0;
    for (;;) {
      const r = await window.shift()!;
      if (r.done === true) break;
      if (r.value.id !== next || !same(r.value.data, r.value.id)) expect.fail(`got ${r.value.id}, expected ${next}`);
      next++;
      window.push(it.next());
    }
    expect(next).toBe(COUNT);
  });

  it('starts no read-ahead for short scans', async () => {
    await using reader = await EventLog.open(log, { readOnly: true });
    const before = readAheadCounters.streams;
    for (let k = 0; k < 100; k++) {
      let n = 0;
      for await (const e of reader.iterRange(k * 1000, k * 1000 + 10)) if (same(e.data, e.id)) n++;
      expect(n).toBe(10);
    }
    expect(readAheadCounters.streams).toBe(before);
  });

  it('does not read a segment that repair() replaced under a reader: the reader keeps its own file', async () => {
    const d = path.join(dir, 'repaired');
    await cp(log, d, { recursive: true });
    const file = path.join(d, 'events-00000001.log');
    const bytes = await readFile(file);
    // Damage the data of the 1,000th record of segment 1.
    let pos = SEGMENT_HEADER_SIZE;
    for (let i = 0; i < 1000; i++) pos += RECORD_HEADER_SIZE + bytes.readUInt32BE(pos + 8);
    const damagedId = bytes.readUInt32BE(pos + 4);
    bytes[pos + RECORD_HEADER_SIZE + 3]! ^= 0x40;
    await writeFile(file, bytes);

    await using reader = await EventLog.open(d, { readOnly: true });
    await reader.get(damagedId + 1); // the reader now holds the old segment file open
    const writer = await EventLog.open(d);
    const report = await writer.repair();
    expect(report.problems.length).toBe(1);
    await writer.close();

    const start = damagedId + 200; // a few index blocks past the damage, which the reader's file still holds
    const end = (await reader.newestEventId())! + 1;
    let next = start;
    for await (const e of reader.iterRange(start, end)) {
      if (e.id !== next || !same(e.data, e.id)) expect.fail(`event ${e.id} (expected ${next}) is wrong`);
      next++;
    }
    expect(next).toBe(end);
  });

  it('keeps the process alive while a scan waits for the worker, and not after a scan is dropped', () => {
    const counters = path.join(path.dirname(dist), 'read-ahead.js');
    const script = (body: string): string =>
      `const { EventLog } = await import(${JSON.stringify(dist)});\nconst { readAheadCounters } = await import(${JSON.stringify(counters)});\nconst log = await EventLog.open(${JSON.stringify(log)}, { readOnly: true });\n${body}`;
    // Prints the count, and whether the worker delivered chunks (ES module input: no `require` in the worker either).
    const full = spawnSync(process.execPath, ['--input-type=module', '-e', script('let n = 0;\nfor await (const e of log.iterRange(0)) n++;\nconsole.log(n, readAheadCounters.chunks > 10);')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(full.stderr).toBe('');
    expect(full.stdout.trim()).toBe(`${COUNT} true`);
    // Takes 20,000 events (the worker is reading ahead by then), never closes anything.
    const dropped = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', script('const it = log.iterRange(0)[Symbol.asyncIterator]();\nfor (let i = 0; i < 20000; i++) await it.next();\nconsole.log("left");')],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(dropped.error).toBeUndefined();
    expect(dropped.status).toBe(0);
    expect(dropped.stdout.trim()).toBe('left');
  });
});
