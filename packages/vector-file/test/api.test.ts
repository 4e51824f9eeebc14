import { readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ID_BYTES, MAX_METADATA_BYTES, VectorFile } from '../src/index.js';
import { bytesOf, collect, randomVector, rng, tempDir } from './helpers.js';

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  t = await tempDir();
});
afterEach(async () => {
  await t.cleanup();
});

describe('put, get, has, delete, scan', () => {
  it('round-trips vectors bit-exact (-0, subnormals, extremes), metadata, versions and times', async () => {
    const vf = await VectorFile.open(t.file, { create: true, dimension: 6 });
    const v = new Float32Array([-0, 1.4e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1 / 3, 1e-40]);
    const before = Date.now();
    await vf.put('a', v, { tags: ['x', 'ü'], n: 1.5 });
    const a1 = (await vf.get('a'))!;
    expect(bytesOf(a1.vector).equals(bytesOf(v))).toBe(true);
    expect(a1).toMatchObject({ id: 'a', metadata: { tags: ['x', 'ü'], n: 1.5 }, version: 1 });
    expect(a1.created).toBeGreaterThanOrEqual(before);
    expect(a1.updated).toBe(a1.created);
    await vf.put('a', [1, 2, 3, 4, 5, 6]);
    const a2 = (await vf.get('a'))!;
    expect(Array.from(a2.vector)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a2).toMatchObject({ version: 2, created: a1.created, metadata: null });
    expect(await vf.has('a')).toBe(true);
    expect(await vf.get('nope')).toBeUndefined();
    expect(await vf.delete('a')).toBe(true);
    expect(await vf.delete('a')).toBe(false);
    expect(await vf.has('a')).toBe(false);
    expect(await vf.get('a')).toBeUndefined();
    await vf.put('a', [6, 5, 4, 3, 2, 1]);
    expect((await vf.get('a'))!.version).toBe(1); // a deleted id starts over
    await vf.close();
  });

  it('returns copies: mutating a returned vector or metadata changes nothing stored', async () => {
    await using vf = await VectorFile.open(t.file, { create: true, dimension: 2 });
    await vf.put('a', [1, 2], { k: 1 });
    const got = (await vf.get('a'))!;
    got.vector[0] = 99;
    expect(() => ((got.metadata as { k: number }).k = 2)).toThrow();
    expect(Array.from((await vf.get('a'))!.vector)).toEqual([1, 2]);
  });

  it('returned vectors are independent copies, with or without a cache, even when they share an ArrayBuffer', async () => {
    for (const cacheSize of [0, 100]) {
      await using vf = await VectorFile.open(t.file, { create: true, dimension: 4, cacheSize });
      await vf.putBatch(Array.from({ length: 40 }, (_, i) => ({ id: `k${i}`, vector: [i, i + 1, i + 2, i + 3] })));
      const got = await Promise.all(Array.from({ length: 40 }, (_, i) => vf.get(`k${i}`)));
      for (const g of got) g!.vector.fill(-1);
      const again = await Promise.all(Array.from({ length: 40 }, (_, i) => vf.get(`k${i}`)));
      again.forEach((g, i) => expect(Array.from(g!.vector)).toEqual([i, i + 1, i + 2, i + 3]));
      // Each vector's bytes are where byteOffset says (what a base64 encoder reads).
      again.forEach((g, i) => expect(Array.from(new Float32Array(g!.vector.buffer, g!.vector.byteOffset, 4))).toEqual([i, i + 1, i + 2, i + 3]));
      const scanned = [];
      for await (const r of vf.scan()) scanned.push(r);
      for (const r of scanned) r.vector.fill(-2);
      expect(Array.from((await vf.get('k7'))!.vector)).toEqual([7, 8, 9, 10]);
      await vf.close();
      rmSync(t.file);
      rmSync(`${t.file}.idx`);
    }
  });

  it('an id that starts with U+FEFF (BOM) is its own id: get, search, reopen with and without the index', async () => {
    const bom = '\uFEFFx';
    {
      await using vf = await VectorFile.open(t.file, { create: true, dimension: 2 });
      await vf.put('x', [1, 0]);
      await vf.put(bom, [0, 1]);
      expect(Array.from((await vf.get(bom))!.vector)).toEqual([0, 1]);
      expect((await vf.get(bom))!.id).toBe(bom);
      expect(Array.from((await vf.get('x'))!.vector)).toEqual([1, 0]);
    }
    for (const dropIndex of [false, true]) {
      if (dropIndex) rmSync(`${t.file}.idx`);
      await using vf = await VectorFile.open(t.file);
      expect(vf.size).toBe(2);
      expect(Array.from((await vf.get(bom))!.vector)).toEqual([0, 1]);
      expect(Array.from((await vf.get('x'))!.vector)).toEqual([1, 0]);
      expect((await vf.search([0, 1], 1, { metric: 'dot' }))[0]!.id).toBe(bom);
      expect((await collect(vf.scan())).map((r) => r.id).sort()).toEqual(['x', bom].sort());
      expect((await vf.verify()).problems).toEqual([]);
    }
  });

  it("stores, and searches, the vector as it was at the call, whatever the caller does to its array afterwards", async () => {
    await using vf = await VectorFile.open(t.file, { create: true, dimension: 2 });
    const v = new Float32Array([1, 0]);
    const put = vf.put('near', v);
    v[0] = Number.NaN; // would have been refused at the call
    v[1] = -1;
    await put;
    // A second batch that waits behind the first: its arrays are refilled while it waits.
    const a = new Float32Array([0, 1]);
    const first = vf.putBatch([{ id: 'p', vector: [3, 3] }]);
    const second = vf.putBatch([{ id: 'q', vector: a }]);
    a.fill(-7);
    await Promise.all([first, second]);
    expect(Array.from((await vf.get('near'))!.vector)).toEqual([1, 0]);
    expect(Array.from((await vf.get('q'))!.vector)).toEqual([0, 1]);
    const hits = await vf.search([1, 0], 3, { metric: 'dot' });
    expect(hits.find((h) => h.id === 'near')!.score).toBe(1);
    expect(hits.find((h) => h.id === 'q')!.score).toBe(0);
    expect((await vf.verify()).problems).toEqual([]);
    // A detached array is refused with a StorageError, not a TypeError.
    const gone = new Float32Array([1, 2]);
    structuredClone(gone.buffer, { transfer: [gone.buffer as ArrayBuffer] });
    await expect(vf.put('gone', gone)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it("transferring a returned vector's buffer away leaves later gets working", async () => {
    await using vf = await VectorFile.open(t.file, { create: true, dimension: 4 });
    await vf.putBatch([{ id: 'a', vector: [1, 2, 3, 4] }, { id: 'b', vector: [5, 6, 7, 8] }]);
    const a = (await vf.get('a'))!.vector;
    // What a postMessage(a, [a.buffer]) to a worker does to this thread's buffer.
    structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
    expect(a.length).toBe(0);
    expect(Array.from((await vf.get('b'))!.vector)).toEqual([5, 6, 7, 8]);
    expect(Array.from((await vf.get('a'))!.vector)).toEqual([1, 2, 3, 4]);
    for await (const r of vf.scan()) expect(r.vector.length).toBe(4);
  });

  it('persists across reopen, through the index and through a rebuild when the index is gone, stale or corrupt', async () => {
    const random = rng(1);
    const want = new Map<string, Float32Array>();
    let vf = await VectorFile.open(t.file, { create: true, dimension: 16, durability: 'none' });
    for (let b = 0; b < 5; b++) {
      const items = Array.from({ length: 100 }, (_, i) => ({ id: `k${(b * 37 + i) % 300}`, vector: randomVector(random, 16) }));
      await vf.putBatch(items);
      for (const it of items) want.set(it.id, it.vector);
    }
    await vf.delete('k5');
    want.delete('k5');
    await vf.close();
    const check = async (expectIndex: string): Promise<void> => {
      const r = await VectorFile.open(t.file, { readOnly: true });
      expect((await r.stats()).recovery.index).toBe(expectIndex);
      expect(r.size).toBe(want.size);
      for (const [id, v] of want) expect(bytesOf((await r.get(id))!.vector).equals(bytesOf(v))).toBe(true);
      const scanned = await collect(r.scan());
      expect(scanned.map((x) => x.id).sort()).toEqual([...want.keys()].sort());
      await r.close();
    };
    await check('loaded');
    rmSync(`${t.file}.idx`);
    await check('rebuilt');
    expect(existsSync(`${t.file}.idx`)).toBe(false); // a reader creates nothing
    // A writer's close writes the index; appends after it leave it covering a prefix (stale).
    vf = await VectorFile.open(t.file);
    await vf.close();
    const idx = readFileSync(`${t.file}.idx`);
    vf = await VectorFile.open(t.file, { durability: 'none' });
    await vf.put('late', [...randomVector(random, 16)]);
    want.set('late', (await vf.get('late'))!.vector);
    await vf.close();
    writeFileSync(`${t.file}.idx`, idx);
    await check('loaded+tail');
    const bad = Buffer.from(idx);
    bad[50] = bad[50]! ^ 1;
    writeFileSync(`${t.file}.idx`, bad);
    await check('rebuilt');
  });

  it('compacts to the live records only, atomically, keeping versions and times', async () => {
    await using vf = await VectorFile.open(t.file, { create: true, dimension: 8, durability: 'none' });
    const random = rng(2);
    for (let i = 0; i < 50; i++) await vf.put(`id${i % 10}`, randomVector(random, 8), { i });
    await vf.delete('id3');
    const before = new Map<string, unknown>();
    for await (const r of vf.scan()) before.set(r.id, { ...r, vector: Array.from(r.vector) });
    const progress: number[] = [];
    const result = await vf.compact({ onProgress: (done) => progress.push(done) });
    expect(result.vectors).toBe(9);
    expect(result.bytesAfter).toBeLessThan(result.bytesBefore / 4);
    expect(progress.at(-1)).toBe(result.bytesBefore);
    const after = new Map<string, unknown>();
    for await (const r of vf.scan()) after.set(r.id, { ...r, vector: Array.from(r.vector) });
    expect(after).toEqual(before);
    expect(readdirSync(t.dir).sort()).toEqual(['vectors.jdbv', 'vectors.jdbv.idx', 'vectors.jdbv.lock']);
    await vf.put('id3', [1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await vf.verify()).problems).toEqual([]);
    expect(readFileSync(t.file).length).toBe((await vf.stats()).fileBytes);
  });

  it('fixes the dimension with the first put when none was given', async () => {
    await using vf = await VectorFile.open(t.file, { create: true });
    expect(vf.dimension).toBe(0);
    await vf.put('a', [1, 2, 3]);
    expect(vf.dimension).toBe(3);
    await expect(vf.put('b', [1, 2])).rejects.toMatchObject({ code: 'EINVAL', field: 'items[0].vector' });
  });

  it('supports await using and refuses calls after close with ECLOSED', async () => {
    let outer: VectorFile;
    {
      await using vf = await VectorFile.open(t.file, { create: true, dimension: 2 });
      outer = vf;
      await vf.put('a', [1, 2]);
    }
    await expect(outer.get('a')).rejects.toMatchObject({ code: 'ECLOSED' });
    await expect(outer.put('a', [1, 2])).rejects.toMatchObject({ code: 'ECLOSED' });
    await outer.close(); // idempotent
  });
});

describe('bad input gets clear errors with codes, and writes nothing', () => {
  it('rejects wrong dimensions, NaN, duplicate ids in a batch, long ids and big metadata', async () => {
    await using vf = await VectorFile.open(t.file, { create: true, dimension: 3 });
    const size = (): number => readFileSync(t.file).length;
    const start = size();
    const cases: [() => Promise<unknown>, Record<string, unknown>][] = [
      [() => vf.put('a', [1, 2]), { code: 'EINVAL', field: 'items[0].vector' }],
      [() => vf.put('a', [1, Number.NaN, 2]), { code: 'EINVAL', field: 'items[0].vector[1]' }],
      [() => vf.put('a', new Float32Array([1, Infinity, 2])), { code: 'EINVAL', field: 'items[0].vector[1]' }],
      [() => vf.put('a', [1, 1e39, 2]), { code: 'EINVAL', field: 'items[0].vector[1]' }], // overflows float32
      [() => vf.put('', [1, 2, 3]), { code: 'EINVAL', field: 'items[0].id' }],
      [() => vf.put('x'.repeat(MAX_ID_BYTES + 1), [1, 2, 3]), { code: 'EINVAL', field: 'items[0].id' }],
      [() => vf.put('\ud800', [1, 2, 3]), { code: 'EINVAL', field: 'items[0].id' }],
      [() => vf.put('a', [1, 2, 3], { big: 'x'.repeat(MAX_METADATA_BYTES) }), { code: 'EINVAL', field: 'items[0].metadata' }],
      [() => vf.put('a', [1, 2, 3], { n: 10n }), { code: 'EINVAL', field: 'items[0].metadata' }],
      [() => vf.put('a', 'abc' as never), { code: 'EINVAL', field: 'items[0].vector' }],
      [
        () =>
          vf.putBatch([
          { id: 'a', vector: [1, 2, 3] },
          { id: 'b', vector: [1, 2, 3] },
          { id: 'a', vector: [3, 2, 1] },
        ]),
        { code: 'EINVAL', field: 'items[2].id' },
      ],
      [() => vf.putBatch([{ id: 'ok', vector: [1, 2, 3] }, { id: 'bad', vector: [1, 2] }]), { code: 'EINVAL', field: 'items[1].vector' }],
      [() => VectorFile.open(`${t.file}-x`, { create: true, dimension: 0 }), { code: 'EINVAL', field: 'dimension' }],
      [() => VectorFile.open(`${t.file}-missing`), { code: 'ENOENT' }],
      [() => VectorFile.open(t.dir, { readOnly: true }), { code: 'EISDIR' }],
    ];
    for (const [call, error] of cases) await expect(call()).rejects.toMatchObject(error);
    expect(size()).toBe(start);
    expect(await vf.has('ok')).toBe(false);
    const longest = 'é'.repeat(MAX_ID_BYTES / 2);
    await vf.put(longest, [1, 2, 3]);
    expect((await vf.get(longest))!.id).toBe(longest);
  });

  it('rejects a dimension that differs from the file, and a second writer with ELOCKED', async () => {
    const vf = await VectorFile.open(t.file, { create: true, dimension: 4 });
    await vf.put('a', [1, 2, 3, 4]);
    await expect(VectorFile.open(t.file)).rejects.toMatchObject({ code: 'ELOCKED' });
    const reader = await VectorFile.open(t.file, { readOnly: true });
    await expect(reader.put('b', [1, 2, 3, 4])).rejects.toMatchObject({ code: 'EACCES' });
    await expect(reader.compact()).rejects.toMatchObject({ code: 'EACCES' });
    await reader.close();
    await vf.close();
    await expect(VectorFile.open(t.file, { dimension: 5 })).rejects.toMatchObject({ code: 'EINVAL', field: 'dimension' });
    expect(existsSync(`${t.file}.lock`)).toBe(false); // released after the failed open
  });

  it('refuses a file that is not a vector file with ECORRUPT', async () => {
    writeFileSync(t.file, 'hello, this is not a vector file at all, not even close........');
    await expect(VectorFile.open(t.file)).rejects.toMatchObject({ code: 'ECORRUPT', offset: 0 });
  });
});
