import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpBackend } from '../src/index.js';

/**
 * Client-side behaviour that needs no reference server (the server-backed tests, including
 * the whole conformance suite over HTTP, live in apps/reference-server/test).
 */
describe('HttpBackend (client side)', () => {
  it('rejects bad options', () => {
    expect(() => new HttpBackend({ url: '' })).toThrow(/url is required/);
    expect(() => new HttpBackend({ url: 'not a url' })).toThrow(/not a URL/);
    expect(() => new HttpBackend({ url: 'file:///tmp' })).toThrow(/http or https/);
    expect(() => new HttpBackend({ url: 'http://127.0.0.1:1', prefix: 'a/../b' })).toThrow(/EINVAL/);
  });

  it('declares its capabilities', () => {
    expect(new HttpBackend({ url: 'http://127.0.0.1:1' }).supports).toEqual({ stat: true, readRange: true, recursiveList: true, rename: true, persistent: true });
    expect(new HttpBackend({ url: 'http://127.0.0.1:1', persistent: false }).supports.persistent).toBe(false);
  });

  it('refuses bad keys before any request is made', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const backend = new HttpBackend({ url });
      for (const key of ['a/../b', 'a//b', 'a\\b', 'a\0b', '.', '']) {
        await expect(backend.readFile(key)).rejects.toMatchObject({ code: 'EINVAL' });
        await expect(backend.writeFile(key, new Uint8Array(1))).rejects.toMatchObject({ code: 'EINVAL' });
        await expect(backend.rename(key, 'ok')).rejects.toMatchObject({ code: 'EINVAL' });
        await expect(backend.rename('ok', key)).rejects.toMatchObject({ code: 'EINVAL' });
      }
      await expect(backend.writeFile('ok', 'text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(backend.readRange('ok', -1, 1)).rejects.toMatchObject({ code: 'EINVAL' });
      expect(requests).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a server that is not there is EIO naming the failure; an answer that is not ours maps by status', async () => {
    const server = http.createServer((req, res) => {
      res.statusCode = req.url?.includes('gone') ? 404 : 502;
      res.end('<html>proxy error</html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const backend = new HttpBackend({ url: `http://127.0.0.1:${port}` });
      await expect(backend.readFile('gone')).rejects.toMatchObject({ code: 'ENOENT', path: 'gone' });
      await expect(backend.readFile('other')).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      await new Promise((r) => server.close(r));
    }
    const down = new HttpBackend({ url: `http://127.0.0.1:${port}` });
    await expect(down.readFile('x')).rejects.toMatchObject({ code: 'EIO', message: expect.stringMatching(/GET request failed: (ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET)/) });
  });
});
