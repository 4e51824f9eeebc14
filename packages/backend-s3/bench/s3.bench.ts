/**
 * S3Backend against the bare @aws-sdk/client-s3 calls it makes, on the same store, client
 * settings and sizes, interleaved in one run: PUT and GET of 1 KiB and 4 MiB objects, and
 * listing a 10,000-object directory (1,000 with BENCH_QUICK=1) beside the bare
 * ListObjectsV2 pagination loop. The ratio is the overhead of the backend (target: at most
 * 1.1x, i.e. a ratio of at least 0.91). Needs S3_ENDPOINT etc. (tooling/ceph-s3/start.sh);
 * without them it says so and exits 0.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { quick, runBenchmarks, type BenchGroup } from '@store/bench-harness';
import { S3Backend } from '../src/index.js';
import { runPaired, type PairedCase } from './paired.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const endpoint = process.env.S3_ENDPOINT;
if (endpoint === undefined || endpoint === '') {
  console.log('backend-s3 bench skipped: S3_ENDPOINT is not set (start Ceph with tooling/ceph-s3/start.sh and export the settings it prints)');
  process.exit(0);
}

const KEYS = 32;
const LISTED = quick ? 1_000 : 10_000;
const client = new S3Client({
  endpoint,
  region: process.env.S3_REGION ?? 'us-east-1',
  credentials: { accessKeyId: process.env.S3_ACCESS_KEY ?? '', secretAccessKey: process.env.S3_SECRET_KEY ?? '' },
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const bucket = `store-bench-${randomBytes(4).toString('hex')}`;
await client.send(new CreateBucketCommand({ Bucket: bucket }));
// Both backends share the bare client (same sockets, same retry settings) and work on the
// very objects the bare calls use (`backend/<key>`), so no side gets different keys.
const checked = new S3Backend({ client, bucket, prefix: 'backend' });
const unchecked = new S3Backend({ client, bucket, prefix: 'backend', directoryChecks: false });

const putBare = async (key: string, body: Uint8Array): Promise<void> => {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength }));
};
const getBare = async (key: string): Promise<Uint8Array> => {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return r.Body!.transformToByteArray();
};

/** One body per size, so every group and side writes the same bytes (and the same ETag) to a key. */
const bodies = new Map<number, Uint8Array>();
function bodyOf(size: number): Uint8Array {
  let body = bodies.get(size);
  if (body === undefined) bodies.set(size, (body = randomBytes(size)));
  return body;
}

/** Puts KEYS objects of a size for both sides to GET, once per label. */
const filled = new Map<string, Promise<void>>();
function fillKeys(label: string, body: Uint8Array): Promise<void> {
  let done = filled.get(label);
  if (done === undefined) {
    done = (async () => {
      for (let k = 0; k < KEYS; k++) await putBare(`backend/${label}/k${k}`, body);
    })();
    filled.set(label, done);
  }
  return done;
}

function putAndGet(label: string, size: number): BenchGroup[] {
  const body = bodyOf(size);
  let i = 0;
  const next = (): string => `${label}/k${i++ % KEYS}`;
  const fill = (): Promise<void> => fillKeys(label, body);
  return [
    {
      title: `PUT ${label}`,
      unit: 'puts',
      baseline: 'bare PutObject',
      cases: [
        { name: 'bare PutObject', run: () => putBare(`backend/${next()}`, body).then(() => 1) },
        { name: 'S3Backend.writeFile', run: () => checked.writeFile(next(), body).then(() => 1) },
        { name: 'S3Backend.writeFile, directoryChecks: false', run: () => unchecked.writeFile(next(), body).then(() => 1) },
      ],
      targets: { 'S3Backend.writeFile': { minRatio: 0.91 }, 'S3Backend.writeFile, directoryChecks: false': { minRatio: 0.91 } },
    },
    {
      title: `GET ${label}`,
      unit: 'gets',
      baseline: 'bare GetObject',
      cases: [
        { name: 'bare GetObject', setup: fill, run: () => getBare(`backend/${next()}`).then(() => 1) },
        { name: 'S3Backend.readFile', run: () => checked.readFile(next()).then(() => 1) },
      ],
      targets: { 'S3Backend.readFile': { minRatio: 0.91 } },
    },
  ];
}

let listing: Promise<void> | undefined;
function fillListing(): Promise<void> {
  listing ??= fillListingOnce();
  return listing;
}

async function fillListingOnce(): Promise<void> {
  const names = Array.from({ length: LISTED }, (_, n) => `list/f${String(n).padStart(6, '0')}`);
  const small = new Uint8Array(16);
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let name = names.pop(); name !== undefined; name = names.pop()) await putBare(`backend/${name}`, small);
    }),
  );
}

const listBare = async (): Promise<number> => {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'backend/list/', Delimiter: '/', ContinuationToken: token }));
    for (const o of page.Contents ?? []) names.push(o.Key!.slice('backend/list/'.length));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  if (names.length !== LISTED) throw new Error(`bare listing returned ${names.length} names`);
  return 1;
};

const listBackend = async (): Promise<number> => {
  const names = await checked.listFiles('list');
  if (names.length !== LISTED) throw new Error(`listFiles returned ${names.length} names`);
  return 1;
};

/** The same operations as the table, measured as alternating pairs (see paired.ts). */
function pairedCases(): PairedCase[] {
  const cases: PairedCase[] = [];
  for (const [label, size, pairs] of [['1KiB', 1024, quick ? 10 : 150], ['4MiB', 4 * 1024 * 1024, quick ? 3 : 30]] as const) {
    const body = bodyOf(size);
    let i = 0;
    const next = (): string => `${label}/k${i++ % KEYS}`;
    cases.push({
      title: `PUT ${label}`,
      pairs,
      bare: () => putBare(`backend/${next()}`, body),
      ours: { 'S3Backend.writeFile': () => checked.writeFile(next(), body), 'directoryChecks: false': () => unchecked.writeFile(next(), body) },
    });
    // Another client rewrote the object (other bytes) just before: the ETag offered is stale,
    // the store refuses it (412), and the write takes the checked path.
    const other = randomBytes(size);
    let stale = 0;
    cases.push({
      title: `PUT ${label} stale ETag`,
      pairs: Math.max(3, Math.round(pairs / 3)),
      bare: () => putBare(`backend/${label}/k${stale % KEYS}`, body),
      before: { 'S3Backend.writeFile': () => putBare(`backend/${label}/k${++stale % KEYS}`, other) },
      ours: { 'S3Backend.writeFile': () => checked.writeFile(`${label}/k${stale % KEYS}`, body) },
    });
    // A key nobody wrote before: no ETag to offer, so the default pays the checks.
    let fresh = 0;
    cases.push({
      title: `PUT ${label} new key`,
      pairs,
      bare: () => putBare(`backend/${label}-new/f${fresh++}`, body),
      ours: { 'S3Backend.writeFile': () => checked.writeFile(`${label}-new/f${fresh++}`, body), 'directoryChecks: false': () => unchecked.writeFile(`${label}-new/f${fresh++}`, body) },
    });
    cases.push({ title: `GET ${label}`, pairs, bare: () => getBare(`backend/${next()}`), ours: { 'S3Backend.readFile': () => checked.readFile(next()) } });
  }
  cases.push({ title: `list ${LISTED.toLocaleString('en')}`, pairs: quick ? 2 : 12, bare: listBare, ours: { 'S3Backend.listFiles': listBackend } });
  return cases;
}

try {
  await runBenchmarks('backend-s3', [
    ...putAndGet('1KiB', 1024),
    ...putAndGet('4MiB', 4 * 1024 * 1024),
    {
      title: `list ${LISTED.toLocaleString('en')} objects`,
      unit: 'listings',
      baseline: 'bare ListObjectsV2 loop',
      cases: [
        { name: 'bare ListObjectsV2 loop', setup: fillListing, run: listBare },
        { name: 'S3Backend.listFiles', run: listBackend },
      ],
      targets: { 'S3Backend.listFiles': { minRatio: 0.91 } },
    },
  ]);
  // Objects for the paired GETs and listings, in case BENCH_ONLY skipped the groups that make them.
  await fillKeys('1KiB', bodyOf(1024));
  await fillKeys('4MiB', bodyOf(4 * 1024 * 1024));
  await fillListing();
  // The replace cases measure a file this instance knows (its ETag from the store).
  for (const label of ['1KiB', '4MiB']) for (let k = 0; k < KEYS; k++) await checked.stat(`${label}/k${k}`);
  await runPaired('backend-s3', pairedCases());
} finally {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
}
