import { StorageError } from './errors.js';

/** Longest segment, in UTF-8 bytes; the common file-system NAME_MAX. */
export const MAX_SEGMENT_BYTES = 255;

/**
 * Names starting with this prefix belong to writes in flight. They are reserved so that
 * a user's file can never be mistaken for (and swept up as) an orphaned temp file.
 */
export const TEMP_PREFIX = '.~tmp.';

export interface KeyOptions {
  /** Accept the empty key ("" or "/") meaning the backend root, for directory operations. */
  allowRoot?: boolean;
}

/**
 * Validates a `/`-separated key and returns its segments. Every rule is checked before
 * any storage is touched, so a bad key can never create, read or delete anything.
 */
export function parseKey(path: string, options: KeyOptions = {}): string[] {
  if (typeof path !== 'string') {
    throw new StorageError('EINVAL', `path must be a string, got ${typeof path}`, { path: String(path) });
  }
  const body = path.startsWith('/') ? path.slice(1) : path;
  if (body === '') {
    if (options.allowRoot) return [];
    throw new StorageError('EINVAL', 'path names the root, not a file', { path });
  }
  const segments = body.split('/');
  for (const segment of segments) checkSegment(segment, path);
  return segments;
}

/** The canonical form of a key: no leading slash, segments joined by `/`. */
export function normalizeKey(path: string, options: KeyOptions = {}): string {
  return parseKey(path, options).join('/');
}

function checkSegment(segment: string, path: string): void {
  if (segment === '') throw new StorageError('EINVAL', 'empty path segment', { path });
  if (segment === '.' || segment === '..') {
    throw new StorageError('EINVAL', `'${segment}' segments are not allowed`, { path });
  }
  if (segment.includes('\0')) throw new StorageError('EINVAL', 'NUL byte in path', { path });
  if (segment.includes('\\')) throw new StorageError('EINVAL', 'backslash in path', { path });
  if (segment.startsWith(TEMP_PREFIX)) {
    throw new StorageError('EINVAL', `names starting with '${TEMP_PREFIX}' are reserved for temp files`, { path });
  }
  // Cheap upper bound first: a UTF-16 code unit is at most 3 UTF-8 bytes.
  if (segment.length * 3 > MAX_SEGMENT_BYTES && Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
    throw new StorageError('EINVAL', `path segment longer than ${MAX_SEGMENT_BYTES} UTF-8 bytes`, { path });
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(segment)) {
    // A lone surrogate cannot be encoded in a file name and would not round-trip.
    throw new StorageError('EINVAL', 'path contains an unpaired UTF-16 surrogate', { path });
  }
}

/** The argument rules of `readRange`, shared by every backend so they reject alike. */
export function checkRange(key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new StorageError('EINVAL', 'offset must be a non-negative integer', { path: key, offset });
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new StorageError('EINVAL', 'length must be a non-negative integer', { path: key, offset });
  }
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/** Sorts names by UTF-16 code unit, the order the contract promises for listings. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
