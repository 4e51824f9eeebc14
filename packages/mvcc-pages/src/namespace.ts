import { StorageError } from '@store/backend-core';

/**
 * Namespace names are dot-separated segments; each segment becomes one folder, so
 * `animals_db.animal_type` lives in `animals_db/animal_type/`. Segments are limited to
 * characters every common file system (ext4, APFS, NTFS, FAT) stores and compares the
 * same way, and names Windows reserves are refused, so a store can be copied between
 * machines as plain files.
 */
export const MAX_SEGMENT_LENGTH = 64;
export const MAX_DEPTH = 32;

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
/** Device names Windows reserves in every folder, with or without an extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

/** Checks a namespace name; returns its segments or throws `EINVAL` naming the problem. */
export function parseNamespace(name: unknown): string[] {
  if (typeof name !== 'string') throw new StorageError('EINVAL', `namespace must be a string, got ${typeof name}`);
  if (name === '') throw new StorageError('EINVAL', 'namespace name is empty');
  const segments = name.split('.');
  if (segments.length > MAX_DEPTH) throw new StorageError('EINVAL', `namespace is nested deeper than ${MAX_DEPTH} levels`, { field: name });
  for (const segment of segments) {
    if (segment === '') throw new StorageError('EINVAL', `namespace '${name}' has an empty segment`, { field: name });
    if (segment.length > MAX_SEGMENT_LENGTH) {
      throw new StorageError('EINVAL', `namespace segment '${segment}' is longer than ${MAX_SEGMENT_LENGTH} characters`, { field: name });
    }
    if (!SEGMENT.test(segment)) {
      throw new StorageError('EINVAL', `namespace segment '${segment}' may only hold letters A-Z/a-z, digits, '_' and '-' and must not start with '-'`, { field: name });
    }
    if (RESERVED.test(segment)) throw new StorageError('EINVAL', `namespace segment '${segment}' is a name Windows reserves`, { field: name });
  }
  return segments;
}

/** The folder of a namespace relative to the store root, `/`-separated. */
export function namespaceFolder(name: string): string {
  return parseNamespace(name).join('/');
}

/** True when `name` is `root` or nested below it. */
export function isInSubtree(name: string, root: string): boolean {
  return name === root || name.startsWith(`${root}.`);
}

/**
 * A namespace pattern: a RegExp (tested against the whole dotted name as given), or a
 * string where `*` matches any run of characters (dots included) and `?` exactly one;
 * a string without wildcards matches only that name.
 */
export type NamespacePattern = string | RegExp;

export function compilePattern(pattern: NamespacePattern): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  if (typeof pattern !== 'string' || pattern === '') throw new StorageError('EINVAL', 'namespace pattern must be a RegExp or a non-empty string');
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
