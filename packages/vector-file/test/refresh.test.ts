import { appendFileSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VectorFile } from '../src/index.js';
import { bytesOf, tempDir } from './helpers.js';

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  t = await tempDir();
});
afterEach(async () => {
  await t.cleanup();
});

// The writer-in-another-process case is in processes.test.ts; here writer and reader share a
// process, which lets each step be checked exactly.
describe('refresh: a reader takes in what the writer did since it opened', () => {
  it('sees puts, updates and deletes, keeps its search set in step, and reads nothing twice', async () => {
    const w = await VectorFile.open(t.file, { create: true, dimension: 3, durability: 'none' });
    await w.putBatch([
      { id: 'a', vector: [1, 0, 0] },
      { id: 'b', vector: [0, 1, 0], metadata: { n: 1 } },
    ]);
    const r = await VectorFile.open(t.file, { readOnly: true });
    expect((await r.search([0, 0, 1], 1, { metric: 'l2' }))[0]!.id).not.toBe('c'); // loads the search set
    const before = statSync(t.file).size;
    await w.put('c', [0, 0, 1]);
    await w.put('b', [0, 2, 0], { n: 2 });
    await w.delete('a');
    expect(await r.get('c')).toBeUndefined(); // nothing until refresh
    expect((await r.get('b'))!.metadata).toEqual({ n: 1 }); // now cached
    const res = await r.refresh();
    expect(res.reopened).toBe(false);
    expect(res.scannedBytes).toBe(statSync(t.file).size - before);
    expect(res.stoppedAt).toBeUndefined();
    expect(Array.from((await r.get('c'))!.vector)).toEqual([0, 0, 1]);
    expect(await r.get('b')).toMatchObject({ metadata: { n: 2 }, version: 2 }); // the cache was not stale
    expect(await r.get('a')).toBeUndefined();
    expect(r.size).toBe(2);
    expect(await r.search([0, 0, 1], 3, { metric: 'l2' })).toEqual([
      { id: 'c', score: 0 },
      { id: 'b', score: Math.sqrt(5) },
    ]);
    expect(await r.refresh()).toEqual({ reopened: false, scannedBytes: 0 });
    await r.close();
    await w.close();
  });

  it('opens the file anew after a compaction replaced it', async () => {
    const w = await VectorFile.open(t.file, { create: true, dimension: 2, durability: 'none' });
    await w.putBatch(Array.from({ length: 20 }, (_, i) => ({ id: `k${i}`, vector: [i, -i] })));
    const r = await VectorFile.open(t.file, { readOnly: true });
    await r.search([1, 1], 1);
    for (let i = 0; i < 20; i += 2) await w.delete(`k${i}`);
    await w.compact();
    await w.put('new', [7, 7]);
    const res = await r.refresh();
    expect(res.reopened).toBe(true);
    expect(r.size).toBe(11);
    expect(await r.get('k0')).toBeUndefined();
    expect(Array.from((await r.get('k3'))!.vector)).toEqual([3, -3]);
    expect(Array.from((await r.get('new'))!.vector)).toEqual([7, 7]);
    expect((await r.search([7, 7], 1, { metric: 'l2' }))[0]).toEqual({ id: 'new', score: 0 });
    expect((await r.verify()).problems).toEqual([]);
    await r.close();
    await w.close();
  });

  it('leaves bytes that are not (yet) a valid record for a later refresh, and never returns them', async () => {
    const w = await VectorFile.open(t.file, { create: true, dimension: 4, durability: 'none' });
    await w.put('a', [1, 2, 3, 4]);
    const r = await VectorFile.open(t.file, { readOnly: true });
    const end = statSync(t.file).size;
    await w.put('b', [5, 6, 7, 8]);
    const record = readFileSync(t.file).subarray(end);
    // What a reader sees while the writer's write is under way: the first part of the record.
    truncateSync(t.file, end);
    for (const cut of [1, 63, 64, 100, record.length - 1]) {
      truncateSync(t.file, end);
      appendFileSync(t.file, record.subarray(0, cut));
      const res = await r.refresh();
      expect(res).toMatchObject({ reopened: false, scannedBytes: 0, stoppedAt: { offset: end } });
      expect(await r.get('b')).toBeUndefined();
    }
    // The same length with a flipped bit: also not taken.
    truncateSync(t.file, end);
    const flipped = Buffer.from(record);
    flipped[80]! ^= 0x10;
    appendFileSync(t.file, flipped);
    expect((await r.refresh()).stoppedAt).toMatchObject({ offset: end, reason: 'checksum mismatch' });
    expect(await r.get('b')).toBeUndefined();
    // The write completes.
    truncateSync(t.file, end);
    appendFileSync(t.file, record);
    expect((await r.refresh()).scannedBytes).toBe(record.length);
    expect(bytesOf((await r.get('b'))!.vector).equals(bytesOf(new Float32Array([5, 6, 7, 8])))).toBe(true);
    await r.close();
    await w.close();
  });

  it('takes the dimension from the first record when the reader opened an empty file', async () => {
    const w = await VectorFile.open(t.file, { create: true, durability: 'none' });
    const r = await VectorFile.open(t.file, { readOnly: true });
    expect(r.dimension).toBe(0);
    expect(await r.search([1, 2], 1)).toEqual([]);
    await w.put('x', [1, 2]);
    await r.refresh();
    expect(r.dimension).toBe(2);
    expect(await r.search([1, 2], 1, { metric: 'l2' })).toEqual([{ id: 'x', score: 0 }]);
    await r.close();
    await w.close();
  });

  it('does nothing for a writer, and refuses a closed file with ECLOSED', async () => {
    const w = await VectorFile.open(t.file, { create: true, dimension: 1 });
    await w.put('a', [1]);
    expect(await w.refresh()).toEqual({ reopened: false, scannedBytes: 0 });
    await w.close();
    await expect(w.refresh()).rejects.toMatchObject({ code: 'ECLOSED' });
  });
});
