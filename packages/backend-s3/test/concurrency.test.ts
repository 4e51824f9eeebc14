import type { S3Client } from '@aws-sdk/client-s3';
import { isStorageError } from '@store/backend-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3Backend } from '../src/index.js';
import { identify, payload } from './content.js';
import { allKeys, describeS3, openUploads, rawClient, testBucket, type S3TestSettings } from '@store/test-helpers/s3';

const MiB = 1024 * 1024;
const WRITERS = 8;

describeS3('concurrent writers on a real S3 store', (s: S3TestSettings) => {
  let client: S3Client;
  let bucket: string;
  let remove: () => Promise<void>;
  /** One backend per writer, each with its own S3 client and sockets: the writes race at the store, not in a queue of ours. */
  let writers: S3Backend[];

  beforeAll(async () => {
    client = rawClient(s);
    ({ name: bucket, remove } = await testBucket(client, 'race'));
    writers = Array.from(
      { length: WRITERS },
      () =>
        new S3Backend({
          bucket,
          endpoint: s.endpoint,
          region: s.region,
          credentials: s.credentials,
          // Small multipart settings, so single PUTs and multipart uploads race each other.
          multipartThreshold: 5 * MiB,
          partSize: 5 * MiB,
        }),
    );
  });
  afterAll(async () => {
    await Promise.all(writers.map((w) => w.close()));
    await remove();
    client.destroy();
  });

  it('8 concurrent writers to one key leave exactly one writer’s bytes (single PUTs and multipart uploads mixed)', async () => {
    const reader = writers[0]!;
    for (let round = 0; round < 3; round++) {
      // Writers 0–5 send one PUT of 0.2–1.4 MiB, writers 6–7 a multipart upload of 6–7 MiB.
      const sizes = Array.from({ length: WRITERS }, (_, i) => (i < 6 ? 200_000 + i * 240_000 : 6 * MiB + (i - 6) * MiB) + round);
      const results = await Promise.allSettled(writers.map((w, i) => w.writeFile('race/target', payload(i, round, sizes[i]!))));
      expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill('fulfilled'));
      const bytes = await reader.readFile('race/target');
      const id = identify(bytes);
      expect(id, `round ${round}: ${bytes.byteLength} bytes that are no single writer's payload`).toBeDefined();
      expect(id!.version).toBe(round);
      expect(bytes.byteLength).toBe(sizes[id!.writer]);
      expect(await allKeys(client, bucket, 'race/')).toEqual(['race/target']);
      expect(await openUploads(client, bucket)).toEqual([]);
    }
  });

  it('8 writers racing a create-only write: exactly one succeeds, the others get EEXIST', async () => {
    const results = await Promise.allSettled(writers.map((w, i) => w.writeFileIf('once/lock', payload(i, 0, 50_000 + i), { ifNoneMatch: '*' })));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won.length).toBe(1);
    for (const r of results) if (r.status === 'rejected') expect(isStorageError(r.reason, 'EEXIST')).toBe(true);
    expect(identify(await writers[3]!.readFile('once/lock'))).toEqual({ writer: won[0], version: 0 });
  });

  it('read-modify-write with If-Match loses no update among 8 writers', async () => {
    await writers[0]!.writeFile('counter', new TextEncoder().encode('0'));
    const perWriter = 4;
    let conflicts = 0;
    await Promise.all(
      writers.map(async (w) => {
        for (let done = 0; done < perWriter; ) {
          const { data, etag } = await w.readFileWithEtag('counter');
          const next = Number(new TextDecoder().decode(data)) + 1;
          try {
            await w.writeFileIf('counter', new TextEncoder().encode(String(next)), { ifMatch: etag });
            done++;
          } catch (error) {
            if (!isStorageError(error, 'ECONFLICT')) throw error;
            conflicts++;
          }
        }
      }),
    );
    expect(new TextDecoder().decode(await writers[1]!.readFile('counter'))).toBe(String(WRITERS * perWriter));
    // Otherwise the writers never overlapped and the test proved nothing.
    expect(conflicts).toBeGreaterThan(0);
  });
});
