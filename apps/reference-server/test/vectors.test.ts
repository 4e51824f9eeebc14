import path from 'node:path';
import { VectorFile } from '@store/vector-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startServer, type Running } from './helpers.js';

let s: Running;
beforeAll(async () => {
  s = await startServer({ limits: { maxBatchEvents: 100, maxOpenResources: 2, idleCloseMs: 200 } });
});
afterAll(async () => {
  await s.close();
});

const send = (method: string, route: string, body?: unknown) =>
  fetch(`${s.url}/v1/vectors/${route}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
const f32base64 = (values: number[]): string => Buffer.from(new Float32Array(values).buffer).toString('base64');

describe('vector routes', () => {
  it('puts a batch (float arrays and base64 float32), gets, searches, deletes', async () => {
    const put = await send('POST', 'a/vectors', {
      vectors: [
        { id: 'x', vector: [1, 0, 0], metadata: { lang: 'en' } },
        { id: 'y', vector: f32base64([0, 1, 0]), metadata: { lang: 'de' } },
        { id: 'z', vector: [0.9, 0.1, 0], metadata: { lang: 'de' } },
      ],
    });
    expect(put.status).toBe(200);
    expect(await json(put)).toEqual({ count: 3 });
    const x = (await json(await send('GET', 'a/vectors/x'))) as Record<string, unknown>;
    expect(x).toMatchObject({ id: 'x', vector: [1, 0, 0], metadata: { lang: 'en' }, version: 1 });
    expect(await json(await send('GET', 'a/vectors/y?encoding=base64'))).toMatchObject({ id: 'y', vector: f32base64([0, 1, 0]) });
    const hits = (await json(await send('POST', 'a/search', { vector: [1, 0, 0], k: 2 }))) as { hits: { id: string; score: number }[] };
    expect(hits.hits.map((h) => h.id)).toEqual(['x', 'z']);
    const filtered = (await json(await send('POST', 'a/search', { vector: f32base64([1, 0, 0]), k: 5, metric: 'l2', filter: { lang: 'de' } }))) as { hits: { id: string }[] };
    expect(filtered.hits.map((h) => h.id)).toEqual(['z', 'y']);
    const batch = (await json(await send('POST', 'a/search', { vectors: [[0, 1, 0], [1, 0, 0]], k: 1, metric: 'dot' }))) as { results: { id: string }[][] };
    expect(batch.results.map((r) => r[0]!.id)).toEqual(['y', 'x']);
    expect(await json(await send('DELETE', 'a/vectors/x'))).toEqual({ deleted: true });
    expect((await send('DELETE', 'a/vectors/x')).status).toBe(404);
    expect((await send('GET', 'a/vectors/x')).status).toBe(404);
    expect(await json(await send('GET', 'a/stats'))).toMatchObject({ name: 'a', count: 2, dimension: 3 });
  });

  it('answers bad input with a 4xx naming the problem, and reads of a missing file with 404 without creating it', async () => {
    await send('POST', 'b/vectors', { vectors: [{ id: 'one', vector: [1, 2] }] });
    const cases: [string, string, unknown, number, string][] = [
      ['POST', 'b/vectors', { vectors: [{ id: 'two', vector: [1, 2, 3] }] }, 400, 'EINVAL'],
      ['POST', 'b/vectors', { vectors: [{ id: 'two', vector: ['1', 2] }] }, 400, 'EINVAL'],
      ['POST', 'b/vectors', { vectors: [{ id: 'two', vector: 'not base64!' }] }, 400, 'EINVAL'],
      ['POST', 'b/vectors', { vectors: [{ id: 'two', vector: 'AAAA' + 'AA==' }] }, 400, 'EINVAL'],
      ['POST', 'b/vectors', { vectors: [{ id: 'd', vector: [1, 2] }, { id: 'd', vector: [2, 1] }] }, 400, 'EINVAL'],
      ['POST', 'b/vectors', { vectors: [] }, 400, 'EINVAL'],
      ['POST', 'b/vectors', { vectors: Array.from({ length: 101 }, (_, i) => ({ id: `i${i}`, vector: [1, 2] })) }, 400, 'ELIMIT'],
      ['POST', 'b/search', { vector: [1, 2, 3], k: 1 }, 400, 'EINVAL'],
      ['POST', 'b/search', { k: 1 }, 400, 'EINVAL'],
      ['POST', 'b/search', { vector: [1, 2], k: 1, metric: 'hamming' }, 400, 'EINVAL'],
      ['POST', 'b/search', { vector: [1, 2], k: 1, filter: [1] }, 400, 'EINVAL'],
      ['GET', 'missing/vectors/x', undefined, 404, 'ENOENT'],
      ['POST', 'missing/search', { vector: [1], k: 1 }, 404, 'ENOENT'],
    ];
    for (const [method, route, body, status, code] of cases) {
      const r = await send(method, route, body);
      expect(r.status, `${method} ${route} ${String(JSON.stringify(body)).slice(0, 80)}`).toBe(status);
      const error = ((await json(r)) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe(code);
      expect(error.message).not.toContain(s.dataDir);
    }
    expect((await send('GET', 'b/stats').then(json)) as object).toMatchObject({ count: 1 });
    // A check the library makes names the field as the request named it (vectors[…], not putBatch's items[…]).
    const nan = Buffer.from(new Float32Array([1, Number.NaN]).buffer).toString('base64');
    const r = await send('POST', 'b/vectors', { vectors: [{ id: 'ok', vector: [3, 4] }, { id: 'nan', vector: nan }] });
    expect(r.status).toBe(400);
    const error = ((await json(r)) as { error: { code: string; message: string; field: string } }).error;
    expect(error).toMatchObject({ code: 'EINVAL', field: 'vectors[1].vector[1]' });
    expect(error.message).not.toContain('items[');
    await expect(VectorFile.open(path.join(s.dataDir, 'vectors', 'missing.jdbv'), { readOnly: true })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an acknowledged put is on disk: a reader opening the file beside the server sees it', async () => {
    await send('POST', 'c/vectors', { vectors: [{ id: 'k', vector: [0.5, -0.25], metadata: { n: 1 } }] });
    const vf = await VectorFile.open(path.join(s.dataDir, 'vectors', 'c.jdbv'), { readOnly: true });
    expect(Array.from((await vf.get('k'))!.vector)).toEqual([0.5, -0.25]);
    await vf.close();
  });
});
