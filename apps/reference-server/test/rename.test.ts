import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend, type BackendCapabilities } from '@store/backend-core';
import { json, rawRequest, startServer, type Running } from './helpers.js';

interface ErrorJson {
  error: { code: string; message: string; field?: string; path?: string };
}

let s: Running;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

const put = async (key: string, body: string): Promise<string> => {
  const r = await fetch(`${s.url}/v1/files/${key}`, { method: 'PUT', body });
  expect(r.status, `PUT ${key}`).toBe(200);
  return ((await json(r)) as { etag: string }).etag;
};
const rename = (from: string, query: string, headers: Record<string, string> = {}) => fetch(`${s.url}/v1/files/${from}?${query}`, { method: 'POST', headers });
const text = async (key: string): Promise<{ status: number; body: string }> => {
  const r = await fetch(`${s.url}/v1/files/${key}`);
  return { status: r.status, body: await r.text() };
};
const error = async (r: Response): Promise<ErrorJson['error']> => ((await json(r)) as ErrorJson).error;

describe('POST /v1/files/<key>?to=<key> renames a file', () => {
  it('moves the bytes to the destination (parents created) and the source is gone, on disk too', async () => {
    await put('mv/a.txt', 'alpha');
    const r = await rename('mv/a.txt', `to=${encodeURIComponent('mv/new/deep/b.txt')}`);
    expect(r.status).toBe(200);
    expect(await json(r)).toEqual({ from: 'mv/a.txt', path: 'mv/new/deep/b.txt' });
    expect(await text('mv/new/deep/b.txt')).toEqual({ status: 200, body: 'alpha' });
    expect((await text('mv/a.txt')).status).toBe(404);
    expect(await readFile(path.join(s.dataDir, 'mv/new/deep/b.txt'), 'utf8')).toBe('alpha');
    expect(existsSync(path.join(s.dataDir, 'mv/a.txt'))).toBe(false);
    expect(await json(await fetch(`${s.url}/v1/files/mv/`))).toEqual([]);
  });

  it('replaces an existing destination by default; ?overwrite=0 refuses with 409 EEXIST and changes nothing', async () => {
    await put('ow/src', 'new bytes');
    await put('ow/dst', 'old bytes');
    const refused = await rename('ow/src', 'to=ow/dst&overwrite=0');
    expect(refused.status).toBe(409);
    expect(await error(refused)).toMatchObject({ code: 'EEXIST', field: 'to', path: 'ow/dst' });
    expect(await text('ow/src')).toEqual({ status: 200, body: 'new bytes' });
    expect(await text('ow/dst')).toEqual({ status: 200, body: 'old bytes' });
    expect((await rename('ow/src', 'to=ow/dst')).status).toBe(200);
    expect(await text('ow/dst')).toEqual({ status: 200, body: 'new bytes' });
    expect(await json(await fetch(`${s.url}/v1/files/ow/`))).toEqual(['dst']);
    await put('ow/third', '3');
    expect((await rename('ow/third', 'to=ow/fresh&overwrite=0')).status).toBe(200);
    expect(await text('ow/fresh')).toEqual({ status: 200, body: '3' });
  });

  it('keys with spaces and Unicode round-trip (percent-encoded in the path and in ?to=)', async () => {
    await put(`uni/${encodeURIComponent('naïve file.txt')}`, 'u');
    const to = 'uni/dir with space/日本.txt';
    const r = await rename(`uni/${encodeURIComponent('naïve file.txt')}`, `to=${encodeURIComponent(to)}`);
    expect(r.status).toBe(200);
    expect(((await json(r)) as { path: string }).path).toBe(to);
    expect(await readFile(path.join(s.dataDir, to), 'utf8')).toBe('u');
  });

  it('a missing source is 404 ENOENT naming the key; the destination is not created', async () => {
    const r = await rename('nothing/here', 'to=nothing/there');
    expect(r.status).toBe(404);
    expect(await error(r)).toMatchObject({ code: 'ENOENT', path: 'nothing/here' });
    expect(existsSync(path.join(s.dataDir, 'nothing/there'))).toBe(false);
  });

  it('directories: a source directory (with or without a trailing /) and a destination directory are 409 EISDIR; a file on the destination path is 409 ENOTDIR', async () => {
    await put('d/file', 'f');
    expect((await fetch(`${s.url}/v1/files/d/sub/`, { method: 'PUT' })).status).toBe(200);
    for (const from of ['d/sub/', 'd/sub']) {
      const r = await rename(from, 'to=d/moved');
      expect(r.status, from).toBe(409);
      expect(await error(r)).toMatchObject({ code: 'EISDIR', path: 'd/sub' });
    }
    const ontoDir = await rename('d/file', 'to=d/sub');
    expect(ontoDir.status).toBe(409);
    expect((await error(ontoDir)).code).toBe('EISDIR');
    const underFile = await rename('d/file', 'to=d/file/below');
    expect(underFile.status).toBe(409);
    expect((await error(underFile)).code).toBe('ENOTDIR');
    // Every refusal left the file where it was.
    expect(await text('d/file')).toEqual({ status: 200, body: 'f' });
    expect(readdirSync(path.join(s.dataDir, 'd')).sort()).toEqual(['file', 'sub']);
  });

  it('a destination that breaks the path rules is 400 EINVAL with field "to"; nothing moves and nothing appears outside the data directory', async () => {
    await put('bad/src', 'stay');
    const before = readdirSync(s.root).sort();
    for (const to of ['../escape', 'bad/../../escape', 'a//b', 'bad\\x', 'nul\u0000', 'bad/.']) {
      const r = await rename('bad/src', `to=${encodeURIComponent(to)}`);
      expect(r.status, JSON.stringify(to)).toBe(400);
      expect(await error(r), JSON.stringify(to)).toMatchObject({ code: 'EINVAL', field: 'to' });
    }
    // Raw and percent-encoded `..` and `/` in the query value (decoded once, then judged), and a missing or empty `to`.
    for (const query of ['to=../escape', 'to=%2e%2e/escape', 'to=%2E%2E%2Fescape', 'to=bad%2F..%2F..%2Fescape', 'to=%5c..%5cescape', 'to=x%00', 'to=%c0%ae%c0%ae/x', 'to=', '', 'from=x', 'to=x&extra=1']) {
      const r = await rawRequest(s.url, 'POST', `/v1/files/bad/src?${query}`);
      expect(r.status, query).toBe(400);
      expect((JSON.parse(r.body.toString()) as ErrorJson).error.code, query).toBe('EINVAL');
    }
    // An encoded `..` in the source path is judged after decoding, as on every files route.
    expect((await rawRequest(s.url, 'POST', '/v1/files/bad/%2e%2e/%2e%2e/x?to=ok')).status).toBe(400);
    expect(await text('bad/src')).toEqual({ status: 200, body: 'stay' });
    expect(readdirSync(s.root).sort()).toEqual(before);
    expect(existsSync(path.join(s.dataDir, 'ok'))).toBe(false);
  });

  it('If-Match on the source: 412 when it does not match, 200 when it does', async () => {
    const etag = await put('cond/src', 'v1');
    const stale = await rename('cond/src', 'to=cond/dst', { 'if-match': '"not-the-etag"' });
    expect(stale.status).toBe(412);
    expect((await error(stale)).code).toBe('EPRECONDITION');
    expect((await text('cond/dst')).status).toBe(404);
    const ok = await rename('cond/src', 'to=cond/dst', { 'if-match': etag });
    expect(ok.status).toBe(200);
    expect(await text('cond/dst')).toEqual({ status: 200, body: 'v1' });
    // The ETag is of the content, so it follows the file.
    expect((await fetch(`${s.url}/v1/files/cond/dst`)).headers.get('etag')).toBe(etag);
  });

  it('neither the source nor the destination may be in a directory owned by another route family (403)', async () => {
    await put('own/src', 'x');
    const into = await rename('own/src', 'to=logs/stolen');
    expect(into.status).toBe(403);
    expect((await error(into)).code).toBe('EACCES');
    const outOf = await rename('logs/whatever', 'to=own/x');
    expect(outOf.status).toBe(403);
    expect(existsSync(path.join(s.dataDir, 'logs/stolen'))).toBe(false);
  });

  it('renaming a file to itself succeeds and keeps the bytes', async () => {
    await put('same/f', 'same');
    expect((await rename('same/f', 'to=same/f')).status).toBe(200);
    expect((await rename('same/f', 'to=same/f&overwrite=0')).status).toBe(200);
    expect(await text('same/f')).toEqual({ status: 200, body: 'same' });
  });

  it('a rename and the GETs after it: each GET issued after the answer sees the new layout', async () => {
    for (let i = 0; i < 20; i++) await put(`many/${i}`, `n${i}`);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => rename(`many/${i}`, `to=many/moved/${i}`)));
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(await json(await fetch(`${s.url}/v1/files/many/`))).toEqual([]);
    const listed = (await json(await fetch(`${s.url}/v1/files/many/moved/`))) as string[];
    expect(listed.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (let i = 0; i < 20; i++) expect(await text(`many/moved/${i}`)).toEqual({ status: 200, body: `n${i}` });
  });

  it('is in the OpenAPI document as POST /v1/files/{*} with a required `to`', async () => {
    const doc = (await json(await fetch(`${s.url}/openapi.json`))) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; required?: boolean }> }>>;
    };
    const post = doc.paths['/v1/files/{*}']?.post;
    expect(post).toBeDefined();
    expect(post!.parameters).toContainEqual(expect.objectContaining({ name: 'to', in: 'query', required: true }));
  });
});

/** A real in-memory backend that does not offer the optional `rename` call. */
class NoRenameBackend extends MemoryBackend {
  override readonly supports: Readonly<BackendCapabilities> = { ...new MemoryBackend().supports!, rename: false } as BackendCapabilities;
}

describe('rename on a backend without the rename capability', () => {
  it('answers 501 ENOTSUP and leaves the file in place', async () => {
    const backend = new NoRenameBackend();
    const server = await startServer({ backend });
    try {
      expect((await fetch(`${server.url}/v1/files/a`, { method: 'PUT', body: 'x' })).status).toBe(200);
      const r = await fetch(`${server.url}/v1/files/a?to=b`, { method: 'POST' });
      expect(r.status).toBe(501);
      expect(((await json(r)) as ErrorJson).error.code).toBe('ENOTSUP');
      expect(Buffer.from(await backend.readFile('a')).toString()).toBe('x');
      expect(await backend.exists('b')).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('HttpBackend.rename over the route', () => {
  it('renames under its prefix, keeps call order with writes, and reports the key at fault as the caller named it', async () => {
    const { HttpBackend } = await import('@store/backend-http');
    const backend = new HttpBackend({ url: s.url, prefix: 'client' });
    expect(backend.supports.rename).toBe(true);
    const big = new Uint8Array(300 * 1024).fill(9);
    // Not awaited one by one: the rename must land after the write and before the last write.
    await Promise.all([backend.writeFile('a', big), backend.rename('a', 'sub/b'), backend.writeFile('sub/b', new TextEncoder().encode('last'))]);
    expect(await backend.exists('a')).toBe(false);
    expect(Buffer.from(await backend.readFile('sub/b')).toString()).toBe('last');
    expect(existsSync(path.join(s.dataDir, 'client/sub/b'))).toBe(true);
    await expect(backend.rename('missing', 'x')).rejects.toMatchObject({ code: 'ENOENT', path: 'missing' });
    await backend.writeFile('file', new Uint8Array([1]));
    await expect(backend.rename('sub/b', 'file/below')).rejects.toMatchObject({ code: 'ENOTDIR', path: 'file/below' });
    await backend.createDirectory('dir');
    await expect(backend.rename('dir', 'y')).rejects.toMatchObject({ code: 'EISDIR', path: 'dir' });
    await backend.close();
  });
});
