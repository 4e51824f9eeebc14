import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startServer, type RawResponse, type Running } from './helpers.js';

const TOKEN = 's3cret-token';
let s: Running;
const SENTINEL = 'outside the data directory';

beforeAll(async () => {
  s = await startServer({ token: TOKEN, limits: { maxBodyBytes: 1024, maxUrlBytes: 512, maxBatchEvents: 10 } });
  // A file beside the data directory: no request may read or replace it.
  writeFileSync(path.join(s.root, 'secret'), SENTINEL);
});
afterAll(async () => {
  await s.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const errorOf = (r: RawResponse): { code: string; message: string; limit?: string } => (JSON.parse(r.body.toString()) as { error: { code: string; message: string; limit?: string } }).error;

/** Nothing but the data directory and the sentinel exists beside it, and the sentinel is intact. */
function checkNothingEscaped(): void {
  expect(readdirSync(s.root).sort()).toEqual(['data', 'secret']);
  expect(readFileSync(path.join(s.root, 'secret'), 'utf8')).toBe(SENTINEL);
}

/** Every error body: JSON { error: { code, message } }, no stack trace, no host path. */
function checkErrorBody(r: RawResponse, method: string): void {
  if (method === 'HEAD' || r.status < 400) return;
  const text = r.body.toString();
  const body = JSON.parse(text) as { error: { code: unknown; message: unknown } };
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toContain(s.root);
}

describe('auth', () => {
  it('without a token: 401 with WWW-Authenticate; a wrong token: 401; the right one: served', async () => {
    const none = await rawRequest(s.url, 'GET', '/v1/files/');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(errorOf(none).code).toBe('EAUTH');
    for (const header of [`Bearer wrong`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN, 'Bearer']) {
      const r = await rawRequest(s.url, 'GET', '/v1/files/', undefined, { authorization: header });
      expect(r.status, header).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer /);
    }
    const put = await rawRequest(s.url, 'PUT', '/v1/files/authz/f', 'x');
    expect(put.status).toBe(401);
    expect((await rawRequest(s.url, 'GET', '/v1/files/authz/f', undefined, auth)).status).toBe(404);
    expect((await rawRequest(s.url, 'PUT', '/v1/files/authz/f', 'x', auth)).status).toBe(200);
    expect((await rawRequest(s.url, 'GET', '/v1/files/authz/f', undefined, { authorization: `bearer   ${TOKEN}` })).status).toBe(200);
    expect((await rawRequest(s.url, 'POST', '/v1/logs/l/events', 'x')).status).toBe(401);
    expect((await rawRequest(s.url, 'GET', '/v1/runs')).status).toBe(401);
    expect((await rawRequest(s.url, 'GET', '/openapi.json')).status).toBe(401);
  });

  it('GET /health needs no token (liveness probes)', async () => {
    expect((await rawRequest(s.url, 'GET', '/health')).status).toBe(200);
  });
});

describe('limits', () => {
  it('a body over maxBodyBytes is 413 naming the limit, and nothing is written', async () => {
    const r = await rawRequest(s.url, 'PUT', '/v1/files/big', Buffer.alloc(1025), auth);
    expect(r.status).toBe(413);
    expect(errorOf(r)).toMatchObject({ code: 'ELIMIT', limit: 'maxBodyBytes' });
    expect((await rawRequest(s.url, 'GET', '/v1/files/big', undefined, auth)).status).toBe(404);
    expect((await rawRequest(s.url, 'PUT', '/v1/files/big', Buffer.alloc(1024), auth)).status).toBe(200);
    const log = await rawRequest(s.url, 'POST', '/v1/logs/big/events', Buffer.alloc(2000), auth);
    expect(log.status).toBe(413);
  });

  it('a request target over maxUrlBytes is 414 naming the limit (before auth and routing)', async () => {
    const long = `/v1/files/${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(200)}`;
    const r = await rawRequest(s.url, 'GET', long, undefined, auth);
    expect(r.status).toBe(414);
    expect(errorOf(r)).toMatchObject({ code: 'ELIMIT', limit: 'maxUrlBytes' });
    expect((await rawRequest(s.url, 'GET', `/v1/runs?${'x'.repeat(600)}`)).status).toBe(414);
  });

  it('a batch over maxBatchEvents is 400 naming the limit', async () => {
    const r = await rawRequest(s.url, 'POST', '/v1/logs/b/events', JSON.stringify(Array(11).fill('AA==')), { ...auth, 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(errorOf(r)).toMatchObject({ code: 'ELIMIT', limit: 'maxBatchEvents' });
  });
});

describe('path attacks', () => {
  // Each target tries to leave the data directory (or smuggle a separator) in another way.
  const TRAVERSALS = [
    '/v1/files/../secret',
    '/v1/files/../../secret',
    '/v1/files/a/../../secret',
    '/v1/files/%2e%2e/secret',
    '/v1/files/%2E%2E/secret',
    '/v1/files/.%2e/secret',
    '/v1/files/%2e./secret',
    '/v1/files/a/%2e%2e/%2e%2e/secret',
    '/v1/files/%2e%2e%2fsecret',
    '/v1/files/..%2fsecret',
    '/v1/files/..%2Fsecret',
    '/v1/files/a%2f..%2f..%2fsecret',
    '/v1/files/..%5csecret',
    '/v1/files/%5c..%5csecret',
    '/v1/files/..\\secret',
    '/v1/files/a\\..\\..\\secret',
    '/v1/files/secret%00',
    '/v1/files/%00/secret',
    '/v1/files/%c0%ae%c0%ae/secret',
    '/v1/files/%c0%ae%c0%ae%c0%afsecret',
    '/v1/files/%e0%80%ae%e0%80%ae/secret',
    '/v1/files/%c1%9c..%c1%9csecret',
    '/v1/files/./secret',
    '/v1/files/a//secret',
  ];
  // Unicode look-alikes of '/' and '.': ordinary characters, so they may name a file — inside the data directory.
  const LOOKALIKES = [
    '/v1/files/%E2%80%A4%E2%80%A4%E2%88%95secret', // ONE DOT LEADER ×2, DIVISION SLASH
    '/v1/files/%EF%BC%8E%EF%BC%8E%EF%BC%8Fsecret', // FULLWIDTH FULL STOP ×2, FULLWIDTH SOLIDUS
    '/v1/files/%E2%81%84secret', // FRACTION SLASH
    '/v1/files/%EF%B9%92%EF%B9%92%E2%A7%B8secret', // SMALL FULL STOP ×2, BIG SOLIDUS
    '/v1/files/%E3%80%82%E3%80%82%EF%BC%BCsecret', // IDEOGRAPHIC FULL STOP ×2, FULLWIDTH REVERSE SOLIDUS
  ];

  it('every traversal form is refused with 4xx and reaches nothing outside the data directory', async () => {
    for (const target of TRAVERSALS) {
      for (const method of ['PUT', 'GET', 'DELETE', 'HEAD']) {
        const r = await rawRequest(s.url, method, target, method === 'PUT' ? 'pwned' : undefined, auth);
        expect(r.status, `${method} ${target}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${target}`).toBeLessThan(500);
        expect(r.body.toString(), `${method} ${target}`).not.toContain(SENTINEL);
        checkErrorBody(r, method);
      }
    }
    checkNothingEscaped();
  });

  it('look-alikes of / and . are plain characters: a file of that name inside the data directory, or a 4xx', async () => {
    for (const target of LOOKALIKES) {
      const put = await rawRequest(s.url, 'PUT', target, 'lookalike', auth);
      expect(put.status, target).toBeLessThan(500);
      const get = await rawRequest(s.url, 'GET', target, undefined, auth);
      if (put.status === 200) {
        expect(get.body.toString()).toBe('lookalike');
        const name = decodeURIComponent(target.slice('/v1/files/'.length));
        expect(readdirSync(s.dataDir)).toContain(name);
      }
      expect(get.body.toString()).not.toContain(SENTINEL);
    }
    checkNothingEscaped();
  });

  it('a double-encoded dot-dot is decoded once: a directory literally named %2e%2e inside the data directory', async () => {
    expect((await rawRequest(s.url, 'PUT', '/v1/files/%252e%252e/secret', 'double', auth)).status).toBe(200);
    expect(readFileSync(path.join(s.dataDir, '%2e%2e', 'secret'), 'utf8')).toBe('double');
    checkNothingEscaped();
  });

  it('log names and run names get the same rules', async () => {
    const targets = [
      ['POST', '/v1/logs/%2e%2e/events'],
      ['POST', '/v1/logs/..%2f..%2fsecret/events'],
      ['POST', '/v1/logs/a%5cb/events'],
      ['POST', '/v1/logs/%00/events'],
      ['GET', '/v1/logs/%2e%2e/stats'],
      ['POST', '/v1/scalars?run=..%2F..%2Fsecret'],
      ['POST', '/v1/scalars?run=..'],
      ['POST', '/v1/scalars?run=%2Fetc'],
      ['POST', '/v1/scalars?run=a%5C..%5C..%5Csecret'],
      ['GET', '/v1/scalars?run=..%2F..&tag=x'],
      ['GET', '/v1/scalars?run=a%00&tag=x'],
    ];
    for (const [method, target] of targets) {
      const body = target!.includes('scalars') ? JSON.stringify([{ tag: 'x', value: 1 }]) : 'x';
      const r = await rawRequest(s.url, method!, target!, method === 'POST' ? body : undefined, { ...auth, 'content-type': target!.includes('scalars') ? 'application/json' : 'application/octet-stream' });
      // '/etc' as a run name is the key 'etc' (a leading / is ignored): inside the logdir.
      if (target === '/v1/scalars?run=%2Fetc') expect(r.status).toBe(200);
      else expect(r.status, `${method} ${target}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      checkErrorBody(r, method!);
    }
    checkNothingEscaped();
  });

  it('fuzz: random request targets never get a 5xx, never leak a host path or a stack, never escape', async () => {
    const piece = fc.oneof(
      fc.constantFrom('.', '..', '%2e', '%2E%2e', '/', '//', '%2f', '%5c', '\\', '%00', '%', '%zz', '%c0%ae', '%e2%88%95', '%ef%bc%8e', '?', '#', '%3f', ';', '~', 'secret', 'a', 'logs', 'runs', '%ff', '%80'),
      fc.string({ maxLength: 6 }).map((t) => encodeURIComponent(t)),
      fc.uint8Array({ maxLength: 4 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')),
    );
    const route = fc.constantFrom('/v1/files/', '/v1/logs/', '/v1/scalars?run=', '/v1/text?tag=t&run=', '/v1/', '/');
    const suffix = fc.constantFrom('', '/', '/events', '/events/1', '/stats', '?stat=1', '?recursive=1');
    await fc.assert(
      fc.asyncProperty(route, fc.array(piece, { minLength: 1, maxLength: 6 }), suffix, fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'), async (r, pieces, end, method) => {
        const target = `${r}${pieces.join('')}${end}`;
        const res = await rawRequest(s.url, method, target, method === 'PUT' || method === 'POST' ? 'fuzz' : undefined, auth).catch((error: unknown) => {
          // Node's client refuses some targets (e.g. with a space) before sending: nothing reached the server.
          if ((error as NodeJS.ErrnoException).code === 'ERR_UNESCAPED_CHARACTERS') return undefined;
          throw error;
        });
        if (res === undefined) return;
        expect(res.status, `${method} ${target}`).toBeLessThan(500);
        expect(res.body.toString(), `${method} ${target}`).not.toContain(SENTINEL);
        checkErrorBody(res, method);
      }),
      { numRuns: 400 },
    );
    checkNothingEscaped();
  });
});

/** Sends raw bytes on a fresh connection and returns everything the server sent before closing. */
function rawExchange(url: string, bytes: Buffer): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => socket.end(bytes));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
}

describe('requests the HTTP parser refuses', () => {
  const cases: [string, string][] = [
    ['a raw non-ASCII byte in the target', 'GET /v1/files/\xe9 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['Transfer-Encoding with Content-Length', 'PUT /v1/files/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'PUT /v1/files/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a bad chunk size', `PUT /v1/files/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
  ];
  for (const [name, request] of cases) {
    it(`${name}: 400 with the API's error body`, async () => {
      const answer = await rawExchange(s.url, Buffer.from(request, 'latin1'));
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head).toMatch(/\r\nConnection: close/i);
      expect(JSON.parse(body!)).toMatchObject({ error: { code: 'EINVAL', message: expect.stringMatching(/^malformed HTTP request/) } });
      expect(body).not.toContain(s.root);
    });
  }
  it('a HEAD the parser refuses gets the status line and headers only', async () => {
    const answer = await rawExchange(s.url, Buffer.from('HEAD /v1/files/\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer.endsWith('\r\n\r\n')).toBe(true);
  });
  it('headers over the limit: 431 naming it', async () => {
    const answer = await rawExchange(s.url, Buffer.from(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, 'latin1'));
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(body!)).toMatchObject({ error: { code: 'ELIMIT', limit: 'maxHeaderBytes' } });
  });
});
