import net from 'node:net';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isStorageError, type StorageError } from '@store/backend-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { S3Backend, type S3BackendOptions } from '../src/index.js';
import { identify, payload } from './content.js';
import { allKeys, describeS3, openUploads, rawClient, testBucket, type S3TestSettings } from '@store/test-helpers/s3';
import { startProxy, type Proxy, type ProxyPolicy } from './tcp-proxy.js';

const MiB = 1024 * 1024;
const failure = (promise: Promise<unknown>): Promise<StorageError> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => {
      if (!isStorageError(e)) throw new Error(`not a StorageError: ${String(e)}`);
      return e;
    },
  );

describeS3('network faults and store errors', (s: S3TestSettings) => {
  let client: S3Client;
  let bucket: string;
  let remove: () => Promise<void>;
  const proxies: Proxy[] = [];
  const backends: S3Backend[] = [];

  /** A backend whose every connection goes through a proxy that cuts it as the policy says. */
  const throughProxy = async (policy: ProxyPolicy, options: Partial<S3BackendOptions> = {}): Promise<{ backend: S3Backend; proxy: Proxy }> => {
    const proxy = await startProxy(s.endpoint, policy);
    proxies.push(proxy);
    const backend = new S3Backend({ bucket, endpoint: proxy.endpoint, region: s.region, credentials: s.credentials, ...options });
    backends.push(backend);
    return { backend, proxy };
  };

  beforeAll(async () => {
    client = rawClient(s);
    ({ name: bucket, remove } = await testBucket(client, 'faults'));
  });
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((b) => b.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await remove();
    client.destroy();
  });

  it('a PUT cut mid-body is retried by the SDK and lands whole', async () => {
    // Without directory checks the PUT is the first request, so it is the one on connection 1.
    const { backend, proxy } = await throughProxy({ cutRequestAfter: (c) => (c === 1 ? 300_000 : undefined) }, { directoryChecks: false });
    await backend.writeFile('retry-put', payload(1, 1, MiB));
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
    expect(identify(await backend.readFile('retry-put'))).toEqual({ writer: 1, version: 1 });
  });

  it('a write that keeps failing is EIO with the network error as cause, and the old object stays whole', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'fail/put', Body: payload(0, 0, 10_000) }));
    // Each connection forwards the (small) check requests, then dies 300 KB into the PUT body.
    const { backend } = await throughProxy({ cutRequestAfter: () => 300_000 }, { maxAttempts: 2 });
    const error = await failure(backend.writeFile('fail/put', payload(0, 1, 2 * MiB)));
    expect(error.code).toBe('EIO');
    expect(error.path).toBe('fail/put');
    expect(error.cause).toBeInstanceOf(Error);
    const direct = new S3Backend({ client, bucket });
    expect(identify(await direct.readFile('fail/put'))).toEqual({ writer: 0, version: 0 });
  });

  it('a multipart upload that fails is aborted: no object, no parts left', async () => {
    const { backend } = await throughProxy({ cutRequestAfter: () => 2 * MiB }, { maxAttempts: 2, multipartThreshold: 5 * MiB, partSize: 5 * MiB });
    const error = await failure(backend.writeFile('fail/multipart', payload(2, 0, 11 * MiB)));
    expect(error.code).toBe('EIO');
    expect(await allKeys(client, bucket, 'fail/multipart')).toEqual([]);
    expect(await openUploads(client, bucket)).toEqual([]);
  });

  it('a GET body cut mid-way is read again; one that keeps breaking is EIO, never short bytes', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cut/get', Body: payload(4, 4, 3 * MiB) }));
    const once = await throughProxy({ cutResponseAfter: (c) => (c === 1 ? MiB : undefined) });
    expect(identify(await once.backend.readFile('cut/get'))).toEqual({ writer: 4, version: 4 });
    expect(once.proxy.connections).toBeGreaterThanOrEqual(2);
    const always = await throughProxy({ cutResponseAfter: () => MiB }, { maxAttempts: 2 });
    const error = await failure(always.backend.readFile('cut/get'));
    expect(error.code).toBe('EIO');
    const range = await failure(always.backend.readRange('cut/get', 100, 2 * MiB));
    expect(range.code).toBe('EIO');
  });

  it('a conditional write whose answer was lost is retried, and its own first attempt does not count as a conflict', async () => {
    // The first connection carries the PUT to the store, then loses the answer after 5 bytes.
    const { backend, proxy } = await throughProxy({ cutResponseAfter: (c) => (c === 1 ? 5 : undefined) }, { directoryChecks: false });
    const data = payload(5, 5, 10_000);
    const { etag } = await backend.writeFileIf('lost-answer', data, { ifNoneMatch: '*' });
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
    expect(etag).toMatch(/^[0-9a-f]{32}$/);
    expect(identify(await backend.readFile('lost-answer'))).toEqual({ writer: 5, version: 5 });
    // Someone else's bytes there are still a conflict.
    expect((await failure(backend.writeFileIf('lost-answer', payload(6, 6, 10_000), { ifNoneMatch: '*' }))).code).toBe('EEXIST');
  });

  it('a store that refuses connections is EIO naming ECONNREFUSED', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    const backend = new S3Backend({ bucket, endpoint: `http://127.0.0.1:${port}`, region: s.region, credentials: s.credentials, maxAttempts: 2 });
    backends.push(backend);
    const error = await failure(backend.readFile('x'));
    expect(error.code).toBe('EIO');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('wrong credentials are EACCES; a missing bucket is ENOENT naming it; the S3 error is the cause', async () => {
    const wrong = new S3Backend({ bucket, endpoint: s.endpoint, region: s.region, credentials: { accessKeyId: s.credentials.accessKeyId, secretAccessKey: 'wrong' } });
    backends.push(wrong);
    const denied = await failure(wrong.writeFile('denied', new Uint8Array(1)));
    expect(denied.code).toBe('EACCES');
    expect((denied.cause as { name?: string }).name).toBe('SignatureDoesNotMatch');
    const missing = new S3Backend({ bucket: `${bucket}-missing`, client });
    const error = await failure(missing.listFiles(''));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toContain(`bucket '${bucket}-missing' does not exist`);
    expect((error.cause as { name?: string }).name).toBe('NoSuchBucket');
  });
});
