import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  StorageError,
  checkRange,
  compareCodeUnits,
  type BackendCapabilities,
  type FileStat,
  type ListOptions,
  type StorageBackend,
  WriteCopies,
} from '@store/backend-core';
import { readBody } from './body.js';
import { EtagHints } from './etag-hints.js';
import { KeyQueue } from './key-queue.js';
import { KeyMapper, type ParsedKey } from './keys.js';
import { listNames } from './list-names.js';
import { fromS3Error, httpStatusOf, isMissingKey, s3ErrorName } from './s3-errors.js';

const MiB = 1024 * 1024;
/** User metadata (`x-amz-meta-store-write-id`) naming the conditional write that made an object. */
const WRITE_ID = 'store-write-id';
/** S3's largest single PUT. */
const MAX_SINGLE_PUT = 5 * 1024 * MiB;

export interface S3BackendOptions {
  bucket: string;
  /** Key prefix the backend's root maps to, e.g. `'tenants/a'` (checked by the path rules). */
  prefix?: string;
  /** A client you configured yourself; it stays yours (`close()` does not destroy it). */
  client?: S3Client;
  /** Without `client`: e.g. `'http://127.0.0.1:7480'`; omitted means AWS S3 itself. */
  endpoint?: string;
  /** Without `client`: default `'us-east-1'`. */
  region?: string;
  /** Without `client`: static keys or a provider; omitted means the SDK's default chain (env, profile…). */
  credentials?: S3ClientConfig['credentials'];
  /** Without `client`: path-style URLs (`endpoint/bucket/key`); default true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Without `client`: attempts per request under the SDK's standard retry strategy (default 3). */
  maxAttempts?: number;
  /** Writes of at least this many bytes go through a multipart upload (default 16 MiB). */
  multipartThreshold?: number;
  /** Part size of multipart uploads, at least 5 MiB (default 8 MiB). */
  partSize?: number;
  /** Parts uploaded at once (default 4). */
  partConcurrency?: number;
  /**
   * Default true: before a write the backend checks that no directory is at the key and no
   * file at a parent (the checks the contract needs on a store without directories).
   * `false` makes `writeFile` and `deleteFile` single requests; the caller then promises
   * never to write a file where a directory is, or below a file.
   */
  directoryChecks?: boolean;
  /** Keys per ListObjectsV2 page (`MaxKeys`); default: the store's own (1000 on AWS and Ceph). */
  listPageSize?: number;
  /** Default true: the store honours `If-None-Match: *` and `If-Match` on PUT (AWS S3 since 2024, Ceph RGW, MinIO). */
  conditionalWrites?: boolean;
  /**
   * How many object keys' last seen ETags the backend remembers (default 10,000; 0: none).
   * With `directoryChecks` and `conditionalWrites` on, replacing a file whose ETag is known
   * is one PUT with `If-Match` instead of the checks and a PUT (see README, Directories).
   */
  etagHints?: number;
}

/** The capability manifest of S3Backend: the core flags plus `conditionalWrite`. */
export interface S3Capabilities extends BackendCapabilities {
  /** `writeFileIf` and `readFileWithEtag` are available. */
  conditionalWrite: boolean;
}

/** `{ ifNoneMatch: '*' }`: create only; `{ ifMatch: etag }`: replace only that version. */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export interface S3FileStat extends FileStat {
  /** The object's ETag without quotes (files only). */
  etag?: string;
}

/**
 * A StorageBackend on one bucket (and optional key prefix) of any S3-compatible store.
 * Files are objects; a directory is the set of keys below `dir/`, plus an empty marker
 * object `dir/` that `createDirectory` writes so that an empty directory exists.
 * A write is one PUT (or one multipart upload, completed atomically), so readers see the
 * old or the new bytes; writes to one key through one instance are applied in call order.
 */
export class S3Backend implements StorageBackend {
  readonly supports: Readonly<S3Capabilities>;
  readonly bucket: string;
  /** The normalized key prefix (`''` or ending in `/`). */
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  /** Copies of bodies taken at the call; up to 16 MiB of large copy buffers kept for reuse. */
  readonly #copies = new WriteCopies(16 * 1024 * 1024);
  readonly #keys: KeyMapper;
  readonly #queue = new KeyQueue();
  readonly #multipartThreshold: number;
  readonly #partSize: number;
  readonly #partConcurrency: number;
  readonly #directoryChecks: boolean;
  readonly #readAttempts: number;
  readonly #listPageSize: number | undefined;
  /** Last seen ETag per key, offered as `If-Match` to skip the directory checks (undefined: off). */
  readonly #hints: EtagHints | undefined;
  #closed = false;

  constructor(options: S3BackendOptions) {
    if (typeof options?.bucket !== 'string' || options.bucket === '') {
      throw new StorageError('EINVAL', 'S3Backend needs a bucket name', { field: 'bucket' });
    }
    this.bucket = options.bucket;
    this.#keys = new KeyMapper(options.prefix);
    this.prefix = this.#keys.prefix;
    this.#partSize = positive(options.partSize ?? 8 * MiB, 'partSize');
    if (this.#partSize < 5 * MiB) throw new StorageError('EINVAL', 'partSize must be at least 5 MiB (S3 minimum)', { field: 'partSize' });
    this.#multipartThreshold = Math.min(positive(options.multipartThreshold ?? 16 * MiB, 'multipartThreshold'), MAX_SINGLE_PUT);
    this.#partConcurrency = positive(options.partConcurrency ?? 4, 'partConcurrency');
    this.#directoryChecks = options.directoryChecks ?? true;
    this.#readAttempts = positive(options.maxAttempts ?? 3, 'maxAttempts');
    this.#listPageSize = options.listPageSize === undefined ? undefined : positive(options.listPageSize, 'listPageSize');
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      this.#client = new S3Client({
        region: options.region ?? 'us-east-1',
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
        forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
        maxAttempts: this.#readAttempts,
        retryMode: 'standard',
        // Checksums only where S3 requires them: gateways such as Ceph RGW 16 reject the
        // streamed trailing checksums newer SDKs send by default (411 MissingContentLength).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      this.#ownsClient = true;
    }
    this.supports = Object.freeze({
      stat: true,
      readRange: true,
      recursiveList: true,
      // S3 has no atomic rename: copy + delete can be seen half done.
      rename: false,
      // The store keeps data beyond the process, and a PUT is atomic on the server, so a
      // client killed mid-write leaves the old or the new object.
      persistent: true,
      conditionalWrite: options.conditionalWrites ?? true,
    });
    const hints = options.etagHints === 0 ? 0 : positive(options.etagHints ?? 10_000, 'etagHints');
    // Hints only replace the directory checks, and only a store that honours If-Match can vouch for them.
    this.#hints = hints > 0 && this.#directoryChecks && this.supports.conditionalWrite ? new EtagHints(hints) : undefined;
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const k = this.#file(path);
    const { body, release } = this.#own(k, data);
    try {
      await this.#queue.run(k.key, () => this.#put(k, body, undefined));
    } finally {
      release();
    }
  }

  /**
   * Capability `conditionalWrite`: writes only if the condition holds on the server, in one
   * request, so a read-modify-write cannot lose a concurrent update. Returns the new ETag.
   * `EEXIST` when `ifNoneMatch: '*'` finds an object; `ECONFLICT` when `ifMatch` finds
   * another version or none. Always a single PUT (up to 5 GiB).
   */
  async writeFileIf(path: string, data: Uint8Array, condition: WriteCondition): Promise<{ etag: string }> {
    const k = this.#file(path);
    if (!this.supports.conditionalWrite) {
      throw new StorageError('EINVAL', 'conditional writes are switched off for this backend (conditionalWrites: false)', { path });
    }
    const valid =
      typeof condition === 'object' &&
      condition !== null &&
      (('ifNoneMatch' in condition && condition.ifNoneMatch === '*') || ('ifMatch' in condition && typeof condition.ifMatch === 'string' && condition.ifMatch !== ''));
    if (!valid) throw new StorageError('EINVAL', "condition must be { ifNoneMatch: '*' } or { ifMatch: etag }", { path, field: 'condition' });
    if (!(data instanceof Uint8Array)) throw new StorageError('EINVAL', 'data must be a Uint8Array', { path: k.path });
    if (data.byteLength > MAX_SINGLE_PUT) throw new StorageError('EINVAL', 'conditional writes are single PUTs, at most 5 GiB', { path });
    const { body, release } = this.#own(k, data);
    try {
      return await this.#queue.run(k.key, async () => ({ etag: (await this.#put(k, body, condition)) ?? '' }));
    } finally {
      release();
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    return (await this.#get(this.#file(path), undefined)).data;
  }

  /** Capability `conditionalWrite`: the bytes and the ETag they were read at, for `writeFileIf`. */
  async readFileWithEtag(path: string): Promise<{ data: Uint8Array; etag: string }> {
    return this.#get(this.#file(path), undefined);
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const k = this.#file(path);
    checkRange(path, offset, length);
    if (length === 0) {
      await this.stat(path).then((s) => {
        if (s.isDirectory) throw new StorageError('EISDIR', 'is a directory', { path });
      });
      return new Uint8Array(0);
    }
    return (await this.#get(k, { offset, length })).data;
  }

  async listFiles(path: string, options: ListOptions = {}): Promise<string[]> {
    const dir = this.#directory(path);
    const base = this.#keys.childPrefix(dir);
    const recursive = options?.recursive === true;
    const { names, anything } = await listNames({ client: this.#client, bucket: this.bucket, keys: this.#keys, base, recursive, pageSize: this.#listPageSize, path });
    if (!anything && dir.segments.length > 0 && (await this.#objectExists(dir.key, path))) {
      throw new StorageError('ENOTDIR', 'not a directory', { path });
    }
    return names.sort(compareCodeUnits);
  }

  async createDirectory(path: string): Promise<void> {
    const dir = this.#directory(path);
    if (dir.segments.length === 0) return;
    await this.#queue.run(dir.key, async () => {
      await Promise.all(
        dir.segments.map(async (_, i) => {
          const key = this.prefix + dir.segments.slice(0, i + 1).join('/');
          if (!(await this.#objectExists(key, path))) return;
          const leaf = i === dir.segments.length - 1;
          throw new StorageError(leaf ? 'EEXIST' : 'ENOTDIR', `'${dir.segments.slice(0, i + 1).join('/')}' is a file, not a directory`, { path });
        }),
      );
      await this.#client
        .send(new PutObjectCommand({ Bucket: this.bucket, Key: `${dir.key}/`, Body: new Uint8Array(0), ContentLength: 0 }))
        .catch((error: unknown) => {
          throw fromS3Error(error, path, 'createDirectory', this.bucket);
        });
    });
  }

  async exists(path: string): Promise<boolean> {
    const dir = this.#directory(path);
    if (dir.segments.length === 0) return true;
    const [file, directory] = await Promise.all([this.#objectExists(dir.key, path), this.#isDirectory(dir.key, path)]);
    return file || directory;
  }

  async deleteFile(path: string): Promise<void> {
    const k = this.#file(path);
    await this.#queue.run(k.key, async () => {
      if (this.#directoryChecks && (await this.#isDirectory(k.key, path))) throw new StorageError('EISDIR', 'is a directory', { path });
      this.#hints?.forget(k.key);
      // DeleteObject answers 204 whether or not the key existed: idempotent by itself.
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: k.key })).catch((error: unknown) => {
        throw fromS3Error(error, path, 'deleteFile', this.bucket);
      });
    });
  }

  async stat(path: string): Promise<S3FileStat> {
    const dir = this.#directory(path);
    if (dir.segments.length === 0) return { size: 0, mtimeMs: 0, isDirectory: true };
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: dir.key }));
      this.#hints?.set(dir.key, bareEtag(head.ETag));
      return { size: head.ContentLength ?? 0, mtimeMs: head.LastModified?.getTime() ?? 0, isDirectory: false, etag: bareEtag(head.ETag) };
    } catch (error) {
      if (!isMissingKey(error)) throw fromS3Error(error, path, 'stat', this.bucket);
    }
    if (await this.#isDirectory(dir.key, path)) return { size: 0, mtimeMs: 0, isDirectory: true };
    throw new StorageError('ENOENT', 'no such file or directory', { path });
  }

  /** Waits for queued writes, then releases the client if this backend made it. Later calls fail with `ECLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.drain();
    if (this.#ownsClient) this.#client.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #file(path: string): ParsedKey {
    this.#checkOpen(path);
    return this.#keys.file(path);
  }

  #directory(path: string): ParsedKey {
    this.#checkOpen(path);
    return this.#keys.directory(path);
  }

  #checkOpen(path: string): void {
    if (this.#closed) throw new StorageError('ECLOSED', 'backend is closed', { path: String(path) });
  }

  /**
   * The bytes to send: a copy taken at the call. The SDK reads the body only after awaits
   * (checks, signing, a write of the same key ahead of it), so what the caller does with its
   * buffer once the call returned must not reach the store (conformance SB-BYTES-07).
   */
  #own(k: ParsedKey, data: Uint8Array): { body: Uint8Array; release: () => void } {
    if (!(data instanceof Uint8Array)) throw new StorageError('EINVAL', 'data must be a Uint8Array', { path: k.path });
    return this.#copies.copy(data);
  }

  /**
   * One PUT or one multipart upload; the hierarchy checks first, unless the store itself
   * vouches that the key holds a file: a PUT with `If-Match` on a known ETag (or the
   * caller's `ifMatch`) applies only to an existing object. Returns the ETag when the store gives one.
   */
  async #put(k: ParsedKey, data: Uint8Array, condition: WriteCondition | undefined): Promise<string | undefined> {
    const hint = condition === undefined && data.byteLength < this.#multipartThreshold ? this.#hints?.get(k.key) : undefined;
    if (hint !== undefined) {
      const landed = await this.#hintedPut(k, data, hint);
      if (landed !== STALE) return landed;
    }
    // A successful If-Match PUT proves a file was there; a failed one writes nothing.
    if (this.#directoryChecks && (condition === undefined || !('ifMatch' in condition))) await this.#checkWritable(k);
    const writeId = condition === undefined ? undefined : randomUUID();
    this.#hints?.forget(k.key);
    const etag = await this.#store(k, data, condition, writeId);
    this.#hints?.set(k.key, etag);
    return etag;
  }

  /**
   * `writeFile` of a key whose ETag we saw: one PUT with `If-Match` on it. STALE when the
   * store refused the condition (412, 409, the object is gone) or failed with a 5xx (Ceph
   * RGW answers some losers of racing conditional PUTs with 500): the caller then takes
   * the checked path, which also repeats a PUT that landed but whose answer was lost.
   */
  async #hintedPut(k: ParsedKey, data: Uint8Array, hint: string): Promise<string | undefined | typeof STALE> {
    this.#hints!.forget(k.key);
    try {
      const result = await this.#client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: k.key, Body: data, ContentLength: data.byteLength, IfMatch: hint }),
      );
      const etag = bareEtag(result.ETag);
      this.#hints!.set(k.key, etag);
      return etag;
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || status === 409 || isMissingKey(error) || (status !== undefined && status >= 500)) return STALE;
      throw fromS3Error(error, k.path, 'writeFile', this.bucket);
    }
  }

  /** The PUT (or multipart upload) itself, with the caller's condition. */
  async #store(k: ParsedKey, data: Uint8Array, condition: WriteCondition | undefined, writeId: string | undefined): Promise<string | undefined> {
    try {
      if (condition === undefined && data.byteLength >= this.#multipartThreshold) {
        // A failed upload is aborted (leavePartsOnError: false): its parts never become an object.
        const upload = new Upload({
          client: this.#client,
          params: { Bucket: this.bucket, Key: k.key, Body: data },
          partSize: this.#partSize,
          queueSize: this.#partConcurrency,
          leavePartsOnError: false,
        });
        return bareEtag((await upload.done()).ETag);
      }
      const result = await this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: k.key,
          Body: data,
          ContentLength: data.byteLength,
          ...(condition === undefined ? {} : 'ifNoneMatch' in condition ? { IfNoneMatch: '*' } : { IfMatch: bareEtag(condition.ifMatch) }),
          ...(writeId === undefined ? {} : { Metadata: { [WRITE_ID]: writeId } }),
        }),
      );
      return bareEtag(result.ETag);
    } catch (error) {
      if (condition !== undefined && (httpStatusOf(error) === 412 || isMissingKey(error) || s3ErrorName(error) === 'ConditionalRequestConflict')) {
        const ours = await this.#retriedWriteLanded(k, writeId!, error);
        if (ours !== undefined) return ours;
        const createOnly = 'ifNoneMatch' in condition;
        throw new StorageError(createOnly ? 'EEXIST' : 'ECONFLICT', createOnly ? 'file exists (If-None-Match: *)' : 'file changed since it was read (If-Match)', {
          path: k.path,
          cause: error,
        });
      }
      throw fromS3Error(error, k.path, 'writeFile', this.bucket);
    }
  }

  /**
   * A conditional PUT whose first attempt reached the store but whose answer was lost (or
   * came back as a 5xx) is retried by the SDK, and the retry fails its condition (412)
   * because of that first attempt. Every conditional PUT carries a unique write id in its
   * metadata, so the object tells whether it is this very write — bytes would not: two
   * writers of a counter write the same bytes. Returns the ETag when it is ours; undefined
   * when the conflict is real or cannot be told.
   */
  async #retriedWriteLanded(k: ParsedKey, writeId: string, error: unknown): Promise<string | undefined> {
    const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
    if (attempts < 2) return undefined;
    const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: k.key })).catch(() => undefined);
    return head?.Metadata?.[WRITE_ID] === writeId ? (bareEtag(head.ETag) ?? '') : undefined;
  }

  /** No directory at the key and no file at any parent; the requests run in parallel. */
  async #checkWritable(k: ParsedKey): Promise<void> {
    const checks: Promise<void>[] = [];
    for (let i = 1; i < k.segments.length; i++) {
      const parent = k.segments.slice(0, i).join('/');
      checks.push(
        this.#objectExists(this.prefix + parent, k.path).then((file) => {
          if (file) throw new StorageError('ENOTDIR', `'${parent}' is a file, not a directory`, { path: k.path });
        }),
      );
    }
    checks.push(
      this.#isDirectory(k.key, k.path).then((directory) => {
        if (directory) throw new StorageError('EISDIR', 'is a directory', { path: k.path });
      }),
    );
    await Promise.all(checks);
  }

  /**
   * GET of the whole object or a range. A body that breaks off mid-way (the SDK retries
   * only until the response headers arrive) is requested again, up to `maxAttempts`, with
   * `If-Match` on the first ETag so the pieces of a read never come from two versions.
   */
  async #get(k: ParsedKey, range: { offset: number; length: number } | undefined): Promise<{ data: Uint8Array; etag: string }> {
    let etag: string | undefined;
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await this.#client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: k.key,
            ...(range === undefined ? {} : { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` }),
            ...(etag === undefined ? {} : { IfMatch: etag }),
          }),
        );
      } catch (error) {
        // 416: the object exists but is shorter than the offset.
        if (range !== undefined && httpStatusOf(error) === 416) return { data: new Uint8Array(0), etag: etag ?? '' };
        // The object changed between attempts: start over on the new version.
        if (etag !== undefined && httpStatusOf(error) === 412) {
          etag = undefined;
          continue;
        }
        if (isMissingKey(error)) {
          this.#hints?.forget(k.key);
          throw await this.#missing(k, error);
        }
        throw fromS3Error(error, k.path, range === undefined ? 'readFile' : 'readRange', this.bucket);
      }
      etag = bareEtag(response.ETag);
      this.#hints?.set(k.key, etag);
      try {
        const data = await readBody(response.Body, response.ContentLength, k.path);
        if (range !== undefined && response.ContentRange === undefined) {
          // The store ignored Range and sent the whole object.
          return { data: data.slice(range.offset, range.offset + range.length), etag: etag ?? '' };
        }
        return { data, etag: etag ?? '' };
      } catch (error) {
        if (attempt >= this.#readAttempts) throw fromS3Error(error, k.path, range === undefined ? 'readFile' : 'readRange', this.bucket);
      }
    }
  }

  /** The error for "no object at this key": `EISDIR` when it is a directory, else `ENOENT`. */
  async #missing(k: ParsedKey, cause: unknown): Promise<StorageError> {
    if (await this.#isDirectory(k.key, k.path)) return new StorageError('EISDIR', 'is a directory', { path: k.path });
    return new StorageError('ENOENT', 'no such file', { path: k.path, cause });
  }

  async #objectExists(key: string, path: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissingKey(error)) return false;
      throw fromS3Error(error, path, 'HEAD', this.bucket);
    }
  }

  /** A directory is any key below `key/`, its own marker included. */
  async #isDirectory(key: string, path: string): Promise<boolean> {
    const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${key}/`, MaxKeys: 1 })).catch((error: unknown) => {
      throw fromS3Error(error, path, 'LIST', this.bucket);
    });
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
  }
}

/** `#hintedPut`'s answer when the hint did not hold and the checked path must run. */
const STALE = Symbol('stale ETag hint');

/** ETags travel without their quotes: Ceph RGW 16 compares `If-Match` to the bare value. */
function bareEtag(etag: string | undefined): string | undefined {
  if (etag === undefined || etag === '') return undefined;
  return etag.startsWith('"') && etag.endsWith('"') && etag.length >= 2 ? etag.slice(1, -1) : etag;
}

function positive(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new StorageError('EINVAL', `${field} must be a positive integer`, { field });
  return value;
}
