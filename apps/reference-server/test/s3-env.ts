import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';

/**
 * The S3 store the `--s3-bucket` tests use: S3_ENDPOINT and friends, as printed by
 * tooling/ceph-s3/start.sh (CI starts Ceph RGW). Without them the suite is skipped with a
 * message; with STORE_REQUIRE_S3=1 the missing endpoint is a failing test instead.
 */
export interface S3Settings {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const MISSING = 'S3_ENDPOINT is not set: start Ceph with tooling/ceph-s3/start.sh and export the settings it prints';

export const s3: S3Settings | undefined =
  process.env.S3_ENDPOINT === undefined || process.env.S3_ENDPOINT === ''
    ? undefined
    : {
        endpoint: process.env.S3_ENDPOINT,
        region: process.env.S3_REGION ?? 'us-east-1',
        accessKeyId: process.env.S3_ACCESS_KEY ?? '',
        secretAccessKey: process.env.S3_SECRET_KEY ?? '',
      };

export function describeS3(name: string, body: (s: S3Settings) => void): void {
  if (s3 !== undefined) describe(name, () => body(s3));
  else if (process.env.STORE_REQUIRE_S3 === '1') {
    describe(name, () => {
      it('has an S3 endpoint (STORE_REQUIRE_S3=1)', () => {
        throw new Error(`STORE_REQUIRE_S3=1 but ${MISSING}`);
      });
    });
  } else {
    describe.skip(`${name} — skipped: ${MISSING}`, () => {
      it('needs S3', () => undefined);
    });
  }
}

export function s3Client(s: S3Settings): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A fresh bucket; `remove()` deletes its objects and the bucket. */
export async function freshBucket(client: S3Client): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `store-server-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    async remove() {
      for (;;) {
        const keys = await keysIn(client, name, '');
        if (keys.length === 0) break;
        // One by one: DeleteObjects carries keys in XML, which cannot hold every character a key may.
        for (let i = 0; i < keys.length; i += 16) {
          await Promise.all(keys.slice(i, i + 16).map((Key) => client.send(new DeleteObjectCommand({ Bucket: name, Key }))));
        }
      }
      await client.send(new DeleteBucketCommand({ Bucket: name }));
    },
  };
}

/** Every key under `prefix`, as the store has it (URL-encoded listing: keys may hold control characters). */
export async function keysIn(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, EncodingType: 'url', ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(decodeURIComponent(o.Key!.replace(/\+/g, '%20')));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}
