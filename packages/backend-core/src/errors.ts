/**
 * One error family for every @store package. `code` follows Node's naming so callers
 * can branch on it the way they already do for `fs` errors; `path` and `offset` say
 * where the problem is, because "corrupt" without a location is useless at 3 a.m.
 */
export const ERROR_CODES = [
  'ENOENT',
  'EISDIR',
  'ENOTDIR',
  'EINVAL',
  'EEXIST',
  'EACCES',
  'ECONFLICT',
  'ECORRUPT',
  'ELOCKED',
  'ECLOSED',
  'EIO',
] as const;

export type StorageErrorCode = (typeof ERROR_CODES)[number];

export interface StorageErrorDetails {
  /** The key or file the error concerns. */
  path?: string;
  /** Byte offset (or record id, as documented by the throwing API) of the problem. */
  offset?: number;
  /** A field or JSON path inside a record or document, e.g. `$.owner.pets[2]`. */
  field?: string;
  cause?: unknown;
}

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly path: string | undefined;
  readonly offset: number | undefined;
  readonly field: string | undefined;

  constructor(code: StorageErrorCode, message: string, details: StorageErrorDetails = {}) {
    super(`${code}: ${message}${describeLocation(details)}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'StorageError';
    this.code = code;
    this.path = details.path;
    this.offset = details.offset;
    this.field = details.field;
  }
}

function describeLocation(d: StorageErrorDetails): string {
  const parts: string[] = [];
  if (d.path !== undefined) parts.push(`path '${d.path}'`);
  if (d.offset !== undefined) parts.push(`offset ${d.offset}`);
  if (d.field !== undefined) parts.push(`field ${d.field}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

const NODE_CODE_MAP: Record<string, StorageErrorCode> = {
  ENOENT: 'ENOENT',
  EISDIR: 'EISDIR',
  ENOTDIR: 'ENOTDIR',
  EEXIST: 'EEXIST',
  EACCES: 'EACCES',
  EPERM: 'EACCES',
  ELOOP: 'EACCES',
  ENAMETOOLONG: 'EINVAL',
  EINVAL: 'EINVAL',
  ENOTEMPTY: 'EEXIST',
};

/**
 * Wraps an error thrown by `fs` (or anything else) into a StorageError carrying the
 * caller-facing key rather than the absolute host path, so messages never leak where
 * the data directory lives.
 */
export function fromNodeError(error: unknown, path: string, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const nodeCode = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const code = NODE_CODE_MAP[nodeCode] ?? 'EIO';
  const reason = nodeCode === '' ? String((error as Error | undefined)?.message ?? error) : nodeCode;
  return new StorageError(code, `${action} failed: ${reason}`, { path, cause: error });
}
