import { afterAll, beforeAll, test } from 'vitest';
import { conformance } from '@store/conformance';
import { describeS3, rawClient, testBucket } from '@store/test-helpers/s3';

const target = new URL('./fixtures/s3-target.mjs', import.meta.url).pathname;

describeS3('conformance suite on S3Backend', (s) => {
  const client = rawClient(s);
  let remove: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const bucket = await testBucket(client, 'conformance');
    remove = bucket.remove;
    // The target module (also loaded by SB-CRASH-01's child process) reads the bucket from here.
    process.env.STORE_S3_TEST_BUCKET = bucket.name;
  });
  afterAll(async () => {
    await remove?.();
    client.destroy();
  });
  conformance({
    test,
    target: {
      name: 's3',
      create: async (location) => ((await import(target)) as { createBackend(l: string): import('../src/index.js').S3Backend }).createBackend(location),
      module: target,
    },
  });
});
