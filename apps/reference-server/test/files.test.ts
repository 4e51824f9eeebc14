import { closeSync, existsSync, ftruncateSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_ABOVE } from '../src/large-file.js';
import { json, rawRequest, startServer, type Running } from './helpers.js';

let s: Running;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

const put = (key: string, body: string | Uint8Array, headers: Record<string, string> = {}) => fetch(`${s.url}/v1/files/${key}`, { method: 'PUT', body, headers });

describe('files routes', () => {
  it('PUT writes raw bytes to <data>/<key>; GET reads them back with Content-Length and ETag', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const r = await put('docs/all-bytes.bin', bytes);
    expect(r.status).toBe(200);
    const written = (await json(r)) as { path: string; size: number; etag: string };
    expect(written).toMatchObject({ path: 'docs/all-bytes.bin', size: 256 });
    expect(new Uint8Array(await readFile(path.join(s.dataDir, 'docs/all-bytes.bin')))).toEqual(bytes);
    const g = await fetch(`${s.url}/v1/files/docs/all-bytes.bin`);
    expect(g.status).toBe(200);
    expect(g.headers.get('content-length')).toBe('256');
    expect(g.headers.get('etag')).toBe(written.etag);
    expect(new Uint8Array(await g.arrayBuffer())).toEqual(bytes);
  });

  it('a JSON or text body is stored as the bytes sent, whatever its Content-Type', async () => {
    const body = '{"a": 1,  "b": [1,2]}\n';
    await put('docs/x.json', body, { 'content-type': 'application/json' });
    expect(await (await fetch(`${s.url}/v1/files/docs/x.json`)).text()).toBe(body);
    await put('docs/empty', '');
    const g = await fetch(`${s.url}/v1/files/docs/empty`);
    expect(g.headers.get('content-length')).toBe('0');
    expect((await g.arrayBuffer()).byteLength).toBe(0);
  });

  it('HEAD answers the headers of GET without a body', async () => {
    await put('docs/head.txt', 'twelve bytes');
    const h = await rawRequest(s.url, 'HEAD', '/v1/files/docs/head.txt');
    expect(h.status).toBe(200);
    expect(h.headers['content-length']).toBe('12');
    expect(h.headers.etag).toMatch(/^".+"$/);
    expect(h.body.length).toBe(0);
    expect((await rawRequest(s.url, 'HEAD', '/v1/files/docs/none')).status).toBe(404);
  });

  it(`files over ${STREAM_ABOVE} bytes are streamed (Content-Length, no ETag), behind the same path checks`, async () => {
    // Placed from outside (vector files, segments, copies): no PUT makes one this large.
    const big = Buffer.alloc(STREAM_ABOVE + 12345);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    writeFileSync(path.join(s.dataDir, 'big.bin'), big);
    const g = await rawRequest(s.url, 'GET', '/v1/files/big.bin');
    expect(g.status).toBe(200);
    expect(g.headers['content-length']).toBe(String(big.length));
    expect(g.headers.etag).toBeUndefined();
    expect(Buffer.compare(g.body, big)).toBe(0);
    const h = await rawRequest(s.url, 'HEAD', '/v1/files/big.bin');
    expect([h.status, h.headers['content-length'], h.headers.etag, h.body.length]).toEqual([200, String(big.length), undefined, 0]);
    // A large file outside the data directory behind a symlink: refused, size not told.
    const outside = path.join(s.root, 'outside-big');
    const fd = openSync(outside, 'w');
    ftruncateSync(fd, STREAM_ABOVE * 2);
    closeSync(fd);
    symlinkSync(outside, path.join(s.dataDir, 'escape.bin'));
    for (const method of ['GET', 'HEAD']) {
      const r = await rawRequest(s.url, method, '/v1/files/escape.bin');
      expect(r.status, method).toBe(403);
      expect(r.headers['content-length']).not.toBe(String(STREAM_ABOVE * 2));
    }
  });

  it('a trailing / lists a directory (names, sorted, files only); PUT with a trailing / creates one', async () => {
    await put('list/b', '1');
    await put('list/a', '2');
    await put('list/sub/c', '3');
    expect(await json(await fetch(`${s.url}/v1/files/list/`))).toEqual(['a', 'b']);
    expect(await json(await fetch(`${s.url}/v1/files/list/?recursive=1`))).toEqual(['a', 'b', 'sub/c']);
    expect(await json(await fetch(`${s.url}/v1/files/missing-dir/`))).toEqual([]);
    const d = await fetch(`${s.url}/v1/files/made/deep/`, { method: 'PUT' });
    expect(d.status).toBe(200);
    expect(existsSync(path.join(s.dataDir, 'made/deep'))).toBe(true);
    expect(await json(await fetch(`${s.url}/v1/files/made/?stat=1`))).toMatchObject({ exists: true, isDirectory: true });
  });

  it('stat answers size and kind; a missing key is exists:false', async () => {
    await put('st/f', 'abc');
    expect(await json(await fetch(`${s.url}/v1/files/st/f?stat=1`))).toMatchObject({ exists: true, size: 3, isDirectory: false });
    expect(await json(await fetch(`${s.url}/v1/files/st/nope?stat=1`))).toEqual({ exists: false });
  });

  it('Range: 206 with Content-Range for a slice, suffix and open ranges; 416 past the end', async () => {
    await put('r/f', '0123456789');
    const slice = await fetch(`${s.url}/v1/files/r/f`, { headers: { range: 'bytes=2-4' } });
    expect(slice.status).toBe(206);
    expect(slice.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(slice.headers.get('content-length')).toBe('3');
    expect(await slice.text()).toBe('234');
    const suffix = await fetch(`${s.url}/v1/files/r/f`, { headers: { range: 'bytes=-3' } });
    expect([suffix.status, await suffix.text()]).toEqual([206, '789']);
    const open = await fetch(`${s.url}/v1/files/r/f`, { headers: { range: 'bytes=8-' } });
    expect([open.status, await open.text()]).toEqual([206, '89']);
    const beyond = await fetch(`${s.url}/v1/files/r/f`, { headers: { range: 'bytes=10-20' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10');
    const clipped = await fetch(`${s.url}/v1/files/r/f`, { headers: { range: 'bytes=5-100' } });
    expect([clipped.status, await clipped.text()]).toEqual([206, '56789']);
    // Several ranges or another unit: ignored, the whole file (RFC 9110 allows it).
    const many = await fetch(`${s.url}/v1/files/r/f`, { headers: { range: 'bytes=0-1,3-4' } });
    expect([many.status, await many.text()]).toEqual([200, '0123456789']);
  });

  it('If-None-Match answers 304; If-Match guards read-modify-write with 412', async () => {
    const first = (await json(await put('cas/doc', 'v1'))) as { etag: string };
    const notModified = await fetch(`${s.url}/v1/files/cas/doc`, { headers: { 'if-none-match': first.etag } });
    expect(notModified.status).toBe(304);
    const second = (await json(await put('cas/doc', 'v2', { 'if-match': first.etag }))) as { etag: string };
    expect(second.etag).not.toBe(first.etag);
    const stale = await put('cas/doc', 'v3-lost-update', { 'if-match': first.etag });
    expect(stale.status).toBe(412);
    expect(((await json(stale)) as { error: { code: string } }).error.code).toBe('EPRECONDITION');
    expect(await (await fetch(`${s.url}/v1/files/cas/doc`)).text()).toBe('v2');
    // Create-only: If-None-Match: * fails when the file exists.
    expect((await put('cas/doc', 'x', { 'if-none-match': '*' })).status).toBe(412);
    expect((await put('cas/new', 'x', { 'if-none-match': '*' })).status).toBe(200);
    expect((await fetch(`${s.url}/v1/files/cas/doc`, { method: 'DELETE', headers: { 'if-match': first.etag } })).status).toBe(412);
    expect((await fetch(`${s.url}/v1/files/cas/doc`, { method: 'DELETE', headers: { 'if-match': second.etag } })).status).toBe(204);
  });

  it('concurrent If-Match writers: exactly one of them wins', async () => {
    const base = (await json(await put('cas/race', 'base'))) as { etag: string };
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => put('cas/race', `writer-${i}`, { 'if-match': base.etag })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((x) => x === 200)).toHaveLength(1);
    expect(statuses.filter((x) => x === 412)).toHaveLength(7);
  });

  it('DELETE removes a file, is idempotent, and refuses a directory with EISDIR', async () => {
    await put('del/f', 'x');
    expect((await fetch(`${s.url}/v1/files/del/f`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${s.url}/v1/files/del/f`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${s.url}/v1/files/del/f`)).status).toBe(404);
    await put('del/d/f', 'x');
    const dir = await fetch(`${s.url}/v1/files/del/d`, { method: 'DELETE' });
    expect(dir.status).toBe(409);
    expect(((await json(dir)) as { error: { code: string } }).error.code).toBe('EISDIR');
  });

  it('errors are JSON with a StorageError code: ENOENT 404, EISDIR 409, ENOTDIR-like writes 4xx', async () => {
    const missing = await fetch(`${s.url}/v1/files/no/such/file`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/json/);
    expect(await json(missing)).toEqual({ error: { code: 'ENOENT', message: expect.any(String), path: 'no/such/file' } });
    await put('e/dir/f', 'x');
    const isDir = await fetch(`${s.url}/v1/files/e/dir`);
    expect([isDir.status, ((await json(isDir)) as { error: { code: string } }).error.code]).toEqual([409, 'EISDIR']);
    const below = await put('e/dir/f/g', 'x');
    expect(below.status).toBeGreaterThanOrEqual(400);
    expect(below.status).toBeLessThan(500);
  });

  it('the directories owned by other route families (logs/, runs/) cannot be written through the files routes', async () => {
    for (const key of ['logs/x/events-00000000.log', 'runs/r/events.out.tfevents.1.h']) {
      const r = await put(key, 'overwrite');
      expect(r.status).toBe(403);
      expect(((await json(r)) as { error: { code: string } }).error.code).toBe('EACCES');
      expect((await fetch(`${s.url}/v1/files/${key}`, { method: 'DELETE' })).status).toBe(403);
    }
  });

  it('GET /health and GET /openapi.json (an OpenAPI 3 document listing every route)', async () => {
    expect(await json(await fetch(`${s.url}/health`))).toEqual({ status: 'ok' });
    const doc = (await json(await fetch(`${s.url}/openapi.json`))) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    for (const route of [
      'GET /health',
      'PUT /v1/files/{*}',
      'GET /v1/files/{*}',
      'HEAD /v1/files/{*}',
      'DELETE /v1/files/{*}',
      'POST /v1/logs/{name}/events',
      'GET /v1/logs/{name}/events',
      'GET /v1/logs/{name}/events/{id}',
      'GET /v1/logs/{name}/stats',
      'GET /v1/logs/{name}/verify',
      'GET /v1/runs',
      'GET /v1/scalars',
      'POST /v1/scalars',
      'GET /v1/histograms',
      'POST /v1/histograms',
      'GET /v1/text',
      'POST /v1/text',
    ]) {
      expect(routes, route).toContain(route);
    }
  });
});
