import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';

/**
 * Where the S3 tests run: a real S3-compatible store named by S3_ENDPOINT (CI starts Ceph
 * RGW with tooling/ceph-s3/start.sh). Without one the S3 suites are skipped with a message,
 * unless STORE_REQUIRE_S3=1, which turns the missing endpoint into a failing test so a CI
 * run cannot pass by skipping them.
 */
export interface S3TestSettings {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export const settings: S3TestSettings | undefined = (() => {
  const endpoint = process.env.S3_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  return {
    endpoint,
    region: process.env.S3_REGION ?? 'us-east-1',
    credentials: { accessKeyId: process.env.S3_ACCESS_KEY ?? '', secretAccessKey: process.env.S3_SECRET_KEY ?? '' },
  };
})();

const required = process.env.STORE_REQUIRE_S3 === '1';
const MISSING = 'S3_ENDPOINT is not set: start Ceph with tooling/ceph-s3/start.sh and export the settings it prints (tooling/ceph-s3/README.md)';

/** `describe` that runs only with an S3 endpoint, skips with the reason without one, and fails without one under STORE_REQUIRE_S3=1. */
export function describeS3(name: string, body: (s: S3TestSettings) => void): void {
  if (settings !== undefined) {
    describe(name, () => body(settings));
  } else if (required) {
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

/** A client with the settings this gateway needs (path style, checksums only where required). */
export function rawClient(s: S3TestSettings, endpoint = s.endpoint): S3Client {
  return new S3Client({
    endpoint,
    region: s.region,
    credentials: s.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A fresh bucket with a unique name; `remove()` aborts uploads, deletes every object and the bucket. */
export async function testBucket(client: S3Client, label: string): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `store-${label}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return { name, remove: () => removeBucket(client, name) };
}

export async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
  }
  for (;;) {
    const keys = await allKeys(client, bucket);
    if (keys.length === 0) break;
    // DeleteObjects carries keys in an XML body, which cannot hold every character a key may
    // (e.g. U+0001): those go one by one.
    const xmlSafe = keys.filter((k) => ![...k].some((c) => c < ' ' && c !== '\t' && c !== '\n'));
    for (let i = 0; i < xmlSafe.length; i += 1000) {
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: xmlSafe.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    }
    for (const key of keys.filter((k) => !xmlSafe.includes(k))) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Every object key in a bucket (raw, as the store has it). */
export async function allKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, EncodingType: 'url' }));
    for (const o of page.Contents ?? []) keys.push(decodeURIComponent(o.Key!.replace(/\+/g, '%20')));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Multipart uploads begun and neither completed nor aborted (they would hold parts). */
export async function openUploads(client: S3Client, bucket: string): Promise<string[]> {
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (uploads.Uploads ?? []).map((u) => u.Key!);
}
