import { StorageError, parseKey } from '@store/backend-core';

/** S3's limit on a whole object key (prefix included), in UTF-8 bytes. */
export const MAX_S3_KEY_BYTES = 1024;

/**
 * Maps the backend's `/`-separated paths to object keys under an optional prefix, with the
 * path rules of @store/backend-core (checked before any request is made) plus S3's own
 * limit on the length of a whole key.
 */
export class KeyMapper {
  /** `''` or a normalized prefix ending in `/`. */
  readonly prefix: string;

  constructor(prefix: string | undefined) {
    // 'a/b', '/a/b' and 'a/b/' name the same prefix.
    const given = prefix ?? '';
    const segments = parseKey(given.endsWith('/') ? given.slice(0, -1) : given, { allowRoot: true });
    this.prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;
    checkLength(this.prefix, prefix ?? '');
  }

  /** The object key of a file; `EINVAL` for the root or a key breaking the rules. */
  file(path: string): ParsedKey {
    return this.#parse(path, false);
  }

  /** A directory path; the root is allowed and has `segments: []`. */
  directory(path: string): ParsedKey {
    return this.#parse(path, true);
  }

  /** The key prefix under which the entries of a directory live (`…/`, or the prefix for the root). */
  childPrefix(dir: ParsedKey): string {
    return dir.segments.length === 0 ? this.prefix : `${dir.key}/`;
  }

  /** Path relative to `base` (a childPrefix) of an object key, or `undefined` if not below it. */
  relative(objectKey: string, base: string): string | undefined {
    return objectKey.startsWith(base) ? objectKey.slice(base.length) : undefined;
  }

  #parse(path: string, allowRoot: boolean): ParsedKey {
    const segments = parseKey(path, { allowRoot });
    const key = this.prefix + segments.join('/');
    // A directory's marker is `key/`, so leave room for the slash.
    checkLength(`${key}/`, path);
    return { path, segments, key };
  }
}

export interface ParsedKey {
  /** What the caller passed, for error messages. */
  path: string;
  segments: string[];
  /** The object key (prefix included); for the root, the prefix without its slash. */
  key: string;
}

function checkLength(key: string, path: string): void {
  if (key.length * 3 > MAX_S3_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_S3_KEY_BYTES) {
    throw new StorageError('EINVAL', `object key longer than ${MAX_S3_KEY_BYTES} UTF-8 bytes (S3's limit, prefix included)`, { path });
  }
}

/** Keys of ListObjectsV2 with `EncodingType: 'url'`: percent-encoded UTF-8, which the SDK leaves as is. */
export function decodeListedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, '%20'));
  } catch (error) {
    throw new StorageError('EIO', 'the store listed a key that is not valid URL encoding', { path: key, cause: error });
  }
}

/** True for a name listed under a directory that is one of ours: a valid path and not a marker. */
export function isValidRelativePath(name: string): boolean {
  if (name === '' || name.startsWith('/') || name.endsWith('/')) return false;
  try {
    parseKey(name);
    return true;
  } catch {
    return false;
  }
}
