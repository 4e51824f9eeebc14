import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isStorageError, parseKey } from '@store/backend-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3Backend, supportsConditionalWrite } from '../src/index.js';
import { anyText, identify, payload } from './content.js';
import { allKeys, describeS3, openUploads, rawClient, testBucket } from '@store/test-helpers/s3';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const code = (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (e: unknown) => (isStorageError(e) ? e.code : `not a StorageError: ${String(e)}`),
  );

describeS3('S3Backend on a real S3 store', (s) => {
  let client: S3Client;
  let bucket: string;
  let remove: () => Promise<void>;
  let n = 0;
  /** A backend over a fresh prefix of the test bucket, sharing the test's client. */
  const fresh = (options: Partial<ConstructorParameters<typeof S3Backend>[0]> = {}): S3Backend =>
    new S3Backend({ client, bucket, prefix: `t${++n}`, ...options });

  beforeAll(async () => {
    client = rawClient(s);
    ({ name: bucket, remove } = await testBucket(client, 'backend'));
  });
  afterAll(async () => {
    await remove();
    client.destroy();
  });

  it('applies unawaited writes and deletes of one key in call order', async () => {
    const b = fresh();
    // Sizes shrink as versions grow, so a later, smaller PUT would finish first if the calls raced.
    const writes = Array.from({ length: 24 }, (_, v) => b.writeFile('order/key', payload(0, v, 400_000 - v * 16_000)));
    await Promise.all(writes);
    expect(identify(await b.readFile('order/key'))).toEqual({ writer: 0, version: 23 });
    const mixed = [b.writeFile('order/x', utf8('a')), b.deleteFile('order/x'), b.writeFile('order/x', payload(1, 1, 300_000)), b.deleteFile('order/x')];
    await Promise.all(mixed);
    expect(await b.exists('order/x')).toBe(false);
    await Promise.all([b.deleteFile('order/y'), b.writeFile('order/y', payload(1, 1, 300_000)), b.writeFile('order/y', utf8('last'))]);
    expect(text(await b.readFile('order/y'))).toBe('last');
  });

  it('copies a queued write so the caller may reuse its buffer', async () => {
    const b = fresh();
    const buffer = Buffer.from('first');
    const first = b.writeFile('reuse/k', payload(0, 0, 2_000_000));
    const second = b.writeFile('reuse/k', buffer); // waits behind the first
    buffer.fill(0x21);
    await Promise.all([first, second]);
    expect(text(await b.readFile('reuse/k'))).toBe('first');
  });

  it('lists every page of a large directory, sorted by code unit, without markers or foreign keys', async () => {
    // Pages of 40 keys: the 150 files, a marker and the foreign keys span four pages.
    const b = fresh({ listPageSize: 40 });
    // Filled through a second backend over the same prefix that skips the directory checks: one request per file.
    const filler = fresh({ prefix: b.prefix, directoryChecks: false });
    const names = Array.from({ length: 150 }, (_, i) => `f${(i * 7919) % 150}`);
    const queue = [...names];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let name = queue.pop(); name !== undefined; name = queue.pop()) await filler.writeFile(`big/${name}`, utf8(name));
    }));
    await b.createDirectory('big/sub');
    await b.writeFile('big/sub/inner', utf8('x'));
    // Keys another S3 client wrote that no path of ours can name: never listed.
    for (const key of [`${b.prefix}big//double`, `${b.prefix}big/dir/`, `${b.prefix}big/./dot`]) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: utf8('foreign') }));
    }
    const listed = await b.listFiles('big');
    expect(listed).toEqual([...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    const recursive = await b.listFiles('big', { recursive: true });
    expect(recursive.filter((r) => !names.includes(r))).toEqual(['sub/inner']);
    expect(recursive).toContain('sub/inner');
  });

  it('any valid name round-trips through write, list and read (property, url-encoded listings)', async () => {
    const b = fresh();
    const valid = (name: string): boolean => {
      try {
        return !name.includes('/') && parseKey(name).length === 1;
      } catch {
        return false;
      }
    };
    const names = new Set<string>(['+plus', 'sp ace', '%41', 'cr\rlf\n', 'amp&lt;', '\u0001ctl', 'ｚ', '😀']);
    fc.assert(
      fc.property(anyText(40), (name) => {
        if (valid(name)) names.add(name);
      }),
      { numRuns: 24, seed: 1515 },
    );
    const filler = fresh({ prefix: b.prefix, directoryChecks: false });
    await Promise.all([...names].map((name) => filler.writeFile(`prop/${name}`, utf8(name))));
    expect(await b.listFiles('prop')).toEqual([...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    const read = await Promise.all([...names].map(async (name) => text(await b.readFile(`prop/${name}`))));
    expect(read).toEqual([...names]);
    expect(names.size).toBeGreaterThan(20);
  });

  it('keeps a directory made by createDirectory as a marker object, and an implicit one while it holds files', async () => {
    const b = fresh();
    await b.createDirectory('made/deep');
    expect(await allKeys(client, bucket, b.prefix)).toEqual([`${b.prefix}made/deep/`]);
    expect([await b.exists('made'), await b.exists('made/deep')]).toEqual([true, true]);
    expect(await b.stat('made/deep')).toMatchObject({ isDirectory: true, size: 0 });
    expect(await code(b.readFile('made/deep'))).toBe('EISDIR');
    expect(await code(b.readRange('made/deep', 0, 0))).toBe('EISDIR');
    expect(await code(b.deleteFile('made'))).toBe('EISDIR');
    await b.writeFile('implicit/a', utf8('a'));
    expect(await b.exists('implicit')).toBe(true);
    await b.deleteFile('implicit/a');
    // No marker was written for 'implicit': with its last file gone, it is gone (documented limit).
    expect(await b.exists('implicit')).toBe(false);
  });

  it('maps the prefix: two prefixes of one bucket do not see each other', async () => {
    const a = fresh({ prefix: 'tenant/a' });
    const c = fresh({ prefix: '/tenant/c' });
    await a.writeFile('same', utf8('A'));
    await c.writeFile('same', utf8('C'));
    expect(text(await a.readFile('same'))).toBe('A');
    expect(text(await c.readFile('same'))).toBe('C');
    expect(await a.listFiles('')).toEqual(['same']);
    expect(a.prefix).toBe('tenant/a/');
    expect(c.prefix).toBe('tenant/c/');
    expect(() => fresh({ prefix: 'x/../y' })).toThrow(/EINVAL/);
  });

  it('rejects keys over 1024 bytes (prefix included) before any request', async () => {
    const b = fresh({ prefix: 'p/'.repeat(350) });
    const key = `${'a'.repeat(200)}/${'b'.repeat(200)}`;
    expect(await code(b.writeFile(key, utf8('x')))).toBe('EINVAL');
    expect(await code(b.readFile(key))).toBe('EINVAL');
    expect(await allKeys(client, bucket, b.prefix)).toEqual([]);
  });

  it('stat reports size, time and the ETag; readRange slices; readFile returns owned memory', async () => {
    const b = fresh();
    const data = payload(3, 3, 100_000);
    const before = Date.now();
    await b.writeFile('st/file', data);
    const st = await b.stat('st/file');
    expect(st.size).toBe(100_000);
    expect(st.isDirectory).toBe(false);
    expect(st.mtimeMs).toBeGreaterThan(before - 60_000);
    expect(st.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(Buffer.from(await b.readRange('st/file', 99_990, 1000))).toEqual(Buffer.from(data.subarray(99_990)));
    expect(await b.readRange('st/file', 100_000, 10)).toEqual(new Uint8Array(0));
    const read = await b.readFile('st/file');
    expect(read.byteOffset).toBe(0);
    expect(read.buffer.byteLength).toBe(100_000);
    expect(await code(b.readRange('st/file', 0, 1.5))).toBe('EINVAL');
    await b.writeFile('st/empty', new Uint8Array(0));
    expect(await b.readRange('st/empty', 0, 10)).toEqual(new Uint8Array(0));
    expect(await code(b.readRange('st/missing', 0, 0))).toBe('ENOENT');
  });

  it('writes large files through a multipart upload that leaves no upload behind', async () => {
    const b = fresh({ multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    const big = payload(9, 1, 11 * 1024 * 1024 + 3);
    await b.writeFile('mp/big', big);
    expect(identify(await b.readFile('mp/big'))).toEqual({ writer: 9, version: 1 });
    expect((await b.stat('mp/big')).etag).toMatch(/-3$/); // three parts
    expect(await openUploads(client, bucket)).toEqual([]);
    expect(Buffer.from(await b.readRange('mp/big', 5 * 1024 * 1024 - 2, 4))).toEqual(Buffer.from(big.subarray(5 * 1024 * 1024 - 2, 5 * 1024 * 1024 + 2)));
  });

  it('conditional writes: create-only and replace-if-unchanged', async () => {
    const b = fresh();
    expect(supportsConditionalWrite(b)).toBe(true);
    expect(supportsConditionalWrite(fresh({ conditionalWrites: false }))).toBe(false);
    const created = await b.writeFileIf('cas/doc', utf8('v1'), { ifNoneMatch: '*' });
    expect(await code(b.writeFileIf('cas/doc', utf8('again'), { ifNoneMatch: '*' }))).toBe('EEXIST');
    const { data, etag } = await b.readFileWithEtag('cas/doc');
    expect(etag).toBe(created.etag);
    expect(text(data)).toBe('v1');
    const next = await b.writeFileIf('cas/doc', utf8('v2'), { ifMatch: etag });
    expect(await code(b.writeFileIf('cas/doc', utf8('stale'), { ifMatch: etag }))).toBe('ECONFLICT');
    expect(await code(b.writeFileIf('cas/none', utf8('x'), { ifMatch: etag }))).toBe('ECONFLICT');
    expect(text(await b.readFile('cas/doc'))).toBe('v2');
    expect((await b.stat('cas/doc')).etag).toBe(next.etag);
    // Quoted ETags (as HTTP carries them) work too.
    await b.writeFileIf('cas/doc', utf8('v3'), { ifMatch: `"${next.etag}"` });
    expect(await code(b.writeFileIf('cas/doc', utf8('x'), { ifMatch: '' }))).toBe('EINVAL');
    expect(await code(b.writeFileIf('cas/doc', utf8('x'), {} as never))).toBe('EINVAL');
    await b.createDirectory('cas/dir');
    expect(await code(b.writeFileIf('cas/dir', utf8('x'), { ifNoneMatch: '*' }))).toBe('EISDIR');
  });

  it('directoryChecks: false makes a write one PUT and skips the hierarchy checks (the caller vouches for its keys)', async () => {
    const b = fresh({ directoryChecks: false });
    await b.writeFile('fast/a', utf8('a'));
    expect(text(await b.readFile('fast/a'))).toBe('a');
    await b.writeFile('fast/a/below', utf8('b')); // not checked: both keys now exist
    expect((await allKeys(client, bucket, b.prefix)).sort()).toEqual([`${b.prefix}fast/a`, `${b.prefix}fast/a/below`]);
  });

  it('rejects bad options with EINVAL', () => {
    expect(() => new S3Backend({ bucket: '' })).toThrow(/EINVAL/);
    expect(() => fresh({ partSize: 1024 })).toThrow(/EINVAL.*5 MiB/);
    expect(() => fresh({ multipartThreshold: 0 })).toThrow(/EINVAL/);
    expect(() => fresh({ maxAttempts: 1.5 })).toThrow(/EINVAL/);
    expect(() => fresh({ listPageSize: -1 })).toThrow(/EINVAL/);
  });

  it('close() waits for queued writes, then every call fails with ECLOSED; a caller-owned client stays usable', async () => {
    const b = fresh();
    const pending = b.writeFile('closing/k', payload(1, 2, 500_000));
    await b.close();
    await pending;
    expect(await code(b.readFile('closing/k'))).toBe('ECLOSED');
    expect(await code(b.stat('closing/k'))).toBe('ECLOSED');
    expect(await code(b.readRange('closing/k', 0, 1))).toBe('ECLOSED');
    const again = fresh({ prefix: b.prefix });
    expect(identify(await again.readFile('closing/k'))).toEqual({ writer: 1, version: 2 });
  });
});
