/**
 * The files routes' writer thread (src/file-writer.ts): PUT through it answers exactly as
 * a write on the main thread does (bytes, ETag, every error status and body), big bodies
 * (moved to the thread) and small ones (copied) land byte for byte, and a writer that has
 * stopped hands writes to the fallback instead of losing them.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemBackend, isStorageError } from '@store/backend-core';
import { FileWriter } from '../src/file-writer.js';
import { unfailingStrings } from '../src/routes/schemas.js';
import { startServer, tempDir, type Running } from './helpers.js';

let threaded: Running;
let inline: Running;
beforeAll(async () => {
  [threaded, inline] = await Promise.all([startServer(), startServer({ writerThread: false })]);
});
afterAll(async () => {
  await Promise.all([threaded.close(), inline.close()]);
});

const put = (s: Running, key: string, body: Uint8Array | string) => fetch(`${s.url}/v1/files/${key}`, { method: 'PUT', body });

describe('PUT on the writer thread', () => {
  it('writes small (copied) and large (moved) bodies byte for byte, with the same answer as a main-thread write', async () => {
    for (const size of [0, 1, 1024, 5000, 300_000]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
      const [a, b] = await Promise.all([put(threaded, `w/${size}.bin`, bytes), put(inline, `w/${size}.bin`, bytes)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const [ja, jb] = [await a.json(), await b.json()];
      expect(ja).toEqual(jb);
      expect(ja).toMatchObject({ path: `w/${size}.bin`, size });
      expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
      expect(new Uint8Array(readFileSync(path.join(threaded.dataDir, `w/${size}.bin`)))).toEqual(bytes);
      const g = await fetch(`${threaded.url}/v1/files/w/${size}.bin`);
      expect(new Uint8Array(await g.arrayBuffer())).toEqual(bytes);
      expect(g.headers.get('etag')).toBe(a.headers.get('etag'));
    }
  });

  it('many concurrent writes to one key and to many keys: every answer 200, each file holds one whole body sent', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => put(threaded, i % 2 === 0 ? 'c/same' : `c/k${i}`, `v${i}`)));
    expect(answers.map((r) => r.status)).toEqual(Array(60).fill(200));
    // The requests travel on separate connections: which of them the server got last is not known.
    const same = readFileSync(path.join(threaded.dataDir, 'c/same'), 'utf8');
    expect(Array.from({ length: 30 }, (_, i) => `v${2 * i}`)).toContain(same);
    expect((await (await fetch(`${threaded.url}/v1/files/c/same`)).text())).toBe(same);
    for (let i = 1; i < 60; i += 2) expect(readFileSync(path.join(threaded.dataDir, `c/k${i}`), 'utf8')).toBe(`v${i}`);
  });

  it('errors of the worker backend answer the same status and JSON body as on the main thread', async () => {
    for (const s of [threaded, inline]) {
      writeFileSync(path.join(s.dataDir, 'plain'), 'x');
      mkdirSync(path.join(s.dataDir, 'adir'), { recursive: true });
      symlinkSync(path.dirname(s.root), path.join(s.dataDir, 'escape'));
    }
    for (const key of ['plain/below', 'adir', 'escape/out.txt', 'plain/deeper/still']) {
      const [a, b] = await Promise.all([put(threaded, key, 'data'), put(inline, key, 'data')]);
      const [ja, jb] = [await a.json(), await b.json()];
      expect({ key, status: a.status, body: ja }).toEqual({ key, status: b.status, body: jb });
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
      expect(JSON.stringify(ja)).not.toContain(threaded.root);
    }
  });
});

describe('FileWriter', () => {
  it('rebuilds the worker backend\'s StorageError (code, path, message) and, once closed, writes through the fallback', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const backend = new FilesystemBackend(dir);
      const fallbackKeys: string[] = [];
      const errors: unknown[] = [];
      const writer = new FileWriter(dir, {}, (key, data) => (fallbackKeys.push(key), backend.writeFile(key, data)), (e) => errors.push(e));
      await writer.writeFile('a/b', new TextEncoder().encode('one'));
      expect(readFileSync(path.join(dir, 'a/b'), 'utf8')).toBe('one');
      const failure = await writer.writeFile('a/b/c', new Uint8Array(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStorageError(failure, 'ENOTDIR')).toBe(true);
      const direct = await backend.writeFile('a/b/c', new Uint8Array(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((failure as Error).message).toBe((direct as Error).message);
      expect((failure as { path?: string }).path).toBe((direct as { path?: string }).path);
      await writer.close();
      await writer.writeFile('after/close', new TextEncoder().encode('two'));
      expect(fallbackKeys).toEqual(['after/close']);
      expect(readFileSync(path.join(dir, 'after/close'), 'utf8')).toBe('two');
      expect(errors).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('unfailingStrings', () => {
  it('accepts only params/headers schemas of unconstrained strings and refuses any schema that could fail', () => {
    const ok = { type: 'object', properties: { 'if-match': { type: 'string', description: 'd' } } };
    expect(unfailingStrings({ schema: ok, httpPart: 'headers' })({})).toBe(true);
    expect(unfailingStrings({ schema: { type: 'object', properties: { '*': { type: 'string' } } }, httpPart: 'params' })({ '*': 'x' })).toBe(true);
    expect(() => unfailingStrings({ schema: ok, httpPart: 'querystring' })).toThrow(/can fail/);
    expect(() => unfailingStrings({ schema: { ...ok, required: ['if-match'] }, httpPart: 'headers' })).toThrow(/can fail/);
    expect(() => unfailingStrings({ schema: { type: 'object', properties: { a: { type: 'string', minLength: 1 } } }, httpPart: 'params' })).toThrow(/can fail/);
    expect(() => unfailingStrings({ schema: { type: 'object', properties: { a: { type: 'integer' } } }, httpPart: 'params' })).toThrow(/can fail/);
  });
});
