import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { StorageError } from '@store/backend-core';
import { decodeListedKey, isValidRelativePath, type KeyMapper } from './keys.js';
import { fromS3Error } from './s3-errors.js';

export interface ListRequest {
  client: S3Client;
  bucket: string;
  keys: KeyMapper;
  /** The key prefix of the directory's entries (`KeyMapper.childPrefix`). */
  base: string;
  /** Every key below (no delimiter) instead of the direct entries. */
  recursive: boolean;
  /** `MaxKeys` per page; undefined: the store's own (1000). */
  pageSize: number | undefined;
  /** The caller's path, for errors. */
  path: string;
}

/**
 * The names below one directory, from every page of ListObjectsV2 (URL-encoded keys, so
 * control characters survive the XML), unsorted. `anything` tells whether any key at all
 * lies below, markers and foreign keys included (an empty but existing directory).
 * `EIO` when the store loops on a continuation token.
 */
export async function listNames(o: ListRequest): Promise<{ names: string[]; anything: boolean }> {
  const names: string[] = [];
  let anything = false;
  let token: string | undefined;
  const tokens = new Set<string>();
  do {
    const page = await o.client
      .send(
        new ListObjectsV2Command({
          Bucket: o.bucket,
          Prefix: o.base,
          ...(o.recursive ? {} : { Delimiter: '/' }),
          // Keys may hold characters XML 1.0 cannot carry (e.g. CR); the SDK leaves them encoded.
          EncodingType: 'url',
          ...(o.pageSize === undefined ? {} : { MaxKeys: o.pageSize }),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      )
      .catch((error: unknown) => {
        throw fromS3Error(error, o.path, 'listFiles', o.bucket);
      });
    const encoded = page.EncodingType === 'url';
    for (const object of page.Contents ?? []) {
      anything = true;
      const key = encoded ? decodeListedKey(object.Key ?? '') : (object.Key ?? '');
      const name = o.keys.relative(key, o.base);
      // Leaves out the directory's own marker, markers below it, and foreign keys our
      // paths cannot name (`a//b`, `x/../y`): they could be neither read nor deleted.
      if (name !== undefined && (o.recursive ? isValidRelativePath(name) : !name.includes('/') && isValidRelativePath(name))) names.push(name);
    }
    if ((page.CommonPrefixes?.length ?? 0) > 0) anything = true;
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    if (page.IsTruncated === true && (token === undefined || tokens.has(token))) {
      throw new StorageError('EIO', 'listFiles failed: the store returned a truncated page without a new continuation token', { path: o.path });
    }
    if (token !== undefined) tokens.add(token);
  } while (token !== undefined);
  return { names, anything };
}
