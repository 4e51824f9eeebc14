import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VectorFile, type Metric, type SearchHit } from '../src/index.js';
import { randomVector, rng, tempDir } from './helpers.js';

/** Brute force in float64 over the float32 values: the reference every search must match. */
function reference(vectors: Map<string, Float32Array>, query: Float32Array, k: number, metric: Metric, keep?: (id: string) => boolean): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const [id, v] of vectors) {
    if (keep !== undefined && !keep(id)) continue;
    hits.push({ id, score: score(query, v, metric) });
  }
  hits.sort((a, b) => (metric === 'l2' ? a.score - b.score : b.score - a.score) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hits.slice(0, k);
}

function score(q: Float32Array, v: Float32Array, metric: Metric): number {
  let dot = 0;
  let qq = 0;
  let vv = 0;
  let dd = 0;
  for (let i = 0; i < q.length; i++) {
    dot += q[i]! * v[i]!;
    qq += q[i]! * q[i]!;
    vv += v[i]! * v[i]!;
    dd += (q[i]! - v[i]!) ** 2;
  }
  if (metric === 'dot') return dot;
  if (metric === 'l2') return Math.sqrt(dd);
  return qq === 0 || vv === 0 ? 0 : dot / Math.sqrt(qq * vv);
}

/**
 * Same ids in the same order, except where the reference scores of two ids lie within
 * float32 rounding of each other (then either order is right); scores within rounding too.
 */
function expectMatches(got: SearchHit[], want: SearchHit[], vectors: Map<string, Float32Array>, query: Float32Array, metric: Metric): void {
  expect(got.length).toBe(want.length);
  const dim = query.length;
  const tolerance = (s: number): number => 1e-6 * dim * Math.max(1, Math.abs(s));
  for (let i = 0; i < want.length; i++) {
    const mine = got[i]!;
    const exact = score(query, vectors.get(mine.id)!, metric);
    expect(Math.abs(mine.score - exact), `score of ${mine.id}`).toBeLessThanOrEqual(tolerance(exact));
    if (mine.id !== want[i]!.id) {
      expect(Math.abs(exact - want[i]!.score), `position ${i}: ${mine.id} instead of ${want[i]!.id}`).toBeLessThanOrEqual(tolerance(exact));
    }
  }
  expect(new Set(got.map((h) => h.id)).size).toBe(got.length);
}

const METRICS: Metric[] = ['cosine', 'dot', 'l2'];

describe.each([37, 64])('exact search, dimension %i', (dim) => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    t = await tempDir();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('equals a float64 brute force for every metric, with and without a filter, before and after reopening', async () => {
    const random = rng(dim);
    const vectors = new Map<string, Float32Array>();
    const group = new Map<string, number>();
    const vf = await VectorFile.open(t.file, { create: true, dimension: dim, durability: 'none' });
    const items = [];
    for (let i = 0; i < 2500; i++) {
      const id = `v${(i * 7919) % 10007}`;
      // Some exact duplicates, so equal scores must be ordered by id.
      const v = i % 50 === 49 ? vectors.get(`v${((i - 1) * 7919) % 10007}`)! : randomVector(random, dim);
      vectors.set(id, v);
      group.set(id, i % 3);
      items.push({ id, vector: v, metadata: { group: i % 3 } });
    }
    items.push({ id: 'zero', vector: new Float32Array(dim), metadata: { group: 1 } });
    vectors.set('zero', new Float32Array(dim));
    group.set('zero', 1);
    await vf.putBatch(items);
    const queries = Array.from({ length: 9 }, () => randomVector(random, dim));
    queries.push(vectors.get('v0')!); // a query equal to a stored vector
    const check = async (file: VectorFile): Promise<void> => {
      for (const metric of METRICS) {
        for (const k of [1, 10, 57]) {
          const batch = await file.searchBatch(queries, k, { metric });
          const filtered = await file.searchBatch(queries, k, { metric, filter: (m) => (m as { group: number }).group === 1 });
          for (let qi = 0; qi < queries.length; qi++) {
            const q = queries[qi]!;
            expectMatches(batch[qi]!, reference(vectors, q, k, metric), vectors, q, metric);
            expectMatches(filtered[qi]!, reference(vectors, q, k, metric, (id) => group.get(id) === 1), vectors, q, metric);
            // One query alone goes through the single-query kernel (another summation order).
            expectMatches(await file.search(q, k, { metric }), reference(vectors, q, k, metric), vectors, q, metric);
          }
        }
      }
    };
    await check(vf);
    // Updates and deletes after the search set is loaded are reflected in it.
    for (let i = 0; i < 200; i++) {
      const id = `v${(i * 31 * 7919) % 10007}`;
      if (!vectors.has(id)) continue;
      if (i % 2 === 0) {
        await vf.delete(id);
        vectors.delete(id);
      } else {
        const v = randomVector(random, dim);
        await vf.put(id, v, { group: 1 });
        vectors.set(id, v);
        group.set(id, 1);
      }
    }
    await check(vf);
    await vf.close();
    const reopened = await VectorFile.open(t.file, { readOnly: true });
    await check(reopened);
    await reopened.close();
  }, 120_000);

  it('breaks ties by id and returns everything when k exceeds the count', async () => {
    await using vf = await VectorFile.open(t.file, { create: true, dimension: dim });
    const same = randomVector(rng(5), dim);
    const ids = ['m', 'b', 'z', 'a', 'k', 'é', 'A'];
    await vf.putBatch(ids.map((id) => ({ id, vector: same })));
    for (const metric of METRICS) {
      const hits = await vf.search(same, 100, { metric });
      expect(hits.map((h) => h.id)).toEqual([...ids].sort());
      const top3 = await vf.search(same, 3, { metric });
      expect(top3.map((h) => h.id)).toEqual(['A', 'a', 'b']);
    }
    expect(await vf.search(same, 0)).toEqual([]);
  });
});

describe('large batches', () => {
  it('searches more queries than one pass holds (groups of 256) like one at a time', async () => {
    const t = await tempDir();
    try {
      const random = rng(77);
      const vectors = new Map<string, Float32Array>();
      await using vf = await VectorFile.open(t.file, { create: true, dimension: 8 });
      const items = Array.from({ length: 300 }, (_, i) => ({ id: `x${i}`, vector: randomVector(random, 8) }));
      for (const it of items) vectors.set(it.id, it.vector);
      await vf.putBatch(items);
      const queries = Array.from({ length: 601 }, () => randomVector(random, 8));
      for (const metric of METRICS) {
        const got = await vf.searchBatch(queries, 5, { metric });
        expect(got.length).toBe(queries.length);
        queries.forEach((q, i) => expectMatches(got[i]!, reference(vectors, q, 5, metric), vectors, q, metric));
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('a search set that grows', () => {
  it('keeps every vector and its cosine norm when puts after the first search outgrow its memory', async () => {
    const t = await tempDir();
    try {
      const random = rng(91);
      const vectors = new Map<string, Float32Array>();
      await using vf = await VectorFile.open(t.file, { create: true, dimension: 12, durability: 'none' });
      const put = async (from: number, to: number): Promise<void> => {
        const items = [];
        for (let i = from; i < to; i++) items.push({ id: `g${i}`, vector: randomVector(random, 12) });
        for (const it of items) vectors.set(it.id, it.vector);
        await vf.putBatch(items);
      };
      await put(0, 10);
      const queries = Array.from({ length: 5 }, () => randomVector(random, 12));
      await vf.search(queries[0]!, 1); // loads the search set with room for 1024 vectors
      // 1024 → 2048 → 4096 → 8192 slots: the norms move up in memory three times.
      for (let from = 10; from < 5000; from += 1000) await put(from, from + 1000);
      for (const metric of METRICS) {
        for (const q of queries) {
          expectMatches(await vf.search(q, 7, { metric }), reference(vectors, q, 7, metric), vectors, q, metric);
          expectMatches((await vf.searchBatch([q, q, q, q], 7, { metric }))[3]!, reference(vectors, q, 7, metric), vectors, q, metric);
        }
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('search input checks', () => {
  it('rejects a wrong dimension, NaN, a bad k or metric with EINVAL; an empty file returns nothing', async () => {
    const t = await tempDir();
    try {
      await using vf = await VectorFile.open(t.file, { create: true });
      expect(await vf.search([1, 2, 3], 5)).toEqual([]);
      await vf.put('a', [1, 2, 3]);
      await expect(vf.search([1, 2], 1)).rejects.toMatchObject({ code: 'EINVAL', field: 'queries[0]' });
      await expect(vf.search([1, Number.NaN, 2], 1)).rejects.toMatchObject({ code: 'EINVAL', field: 'queries[0][1]' });
      await expect(vf.search([1, 2, 3], -1)).rejects.toMatchObject({ code: 'EINVAL', field: 'k' });
      await expect(vf.search([1, 2, 3], 1.5)).rejects.toMatchObject({ code: 'EINVAL', field: 'k' });
      await expect(vf.search([1, 2, 3], 1, { metric: 'hamming' as Metric })).rejects.toMatchObject({ code: 'EINVAL', field: 'metric' });
      expect(await vf.search([1, 2, 3], 1, { metric: 'l2' })).toEqual([{ id: 'a', score: 0 }]);
    } finally {
      await t.cleanup();
    }
  });
});
