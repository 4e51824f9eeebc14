import { StorageError, type StorageErrorCode } from '@store/backend-core';

/** What the SDK puts on a service or transport error; every field may be missing. */
interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** S3 error names (the `<Code>` of the XML body, or the SDK's name for a HEAD) → our codes. */
const BY_NAME: Record<string, StorageErrorCode> = {
  NoSuchKey: 'ENOENT',
  NotFound: 'ENOENT',
  NoSuchBucket: 'ENOENT',
  AccessDenied: 'EACCES',
  Forbidden: 'EACCES',
  InvalidAccessKeyId: 'EACCES',
  SignatureDoesNotMatch: 'EACCES',
  AllAccessDisabled: 'EACCES',
  AccountProblem: 'EACCES',
  PreconditionFailed: 'ECONFLICT',
  ConditionalRequestConflict: 'ECONFLICT',
  KeyTooLongError: 'EINVAL',
  InvalidObjectName: 'EINVAL',
  EntityTooLarge: 'EINVAL',
  InvalidArgument: 'EINVAL',
  InvalidBucketName: 'EINVAL',
};

const BY_STATUS: Record<number, StorageErrorCode> = { 403: 'EACCES', 404: 'ENOENT', 409: 'ECONFLICT', 412: 'ECONFLICT' };

/** The S3 error name of an SDK error (`NoSuchKey`, `PreconditionFailed`, `ECONNREFUSED`…). */
export function s3ErrorName(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  return e.Code ?? (e.name !== undefined && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? 'Error';
}

export function httpStatusOf(error: unknown): number | undefined {
  return ((error ?? {}) as SdkError).$metadata?.httpStatusCode;
}

/**
 * Wraps an SDK error into a StorageError with the caller's key, keeping the SDK error as
 * `cause`. Transport failures (refused or reset connections, timeouts) arrive here only
 * after the SDK's retry strategy has given up on them, and become `EIO`.
 */
export function fromS3Error(error: unknown, key: string, action: string, bucket?: string): StorageError {
  if (error instanceof StorageError) return error;
  const name = s3ErrorName(error);
  const status = httpStatusOf(error);
  const code = BY_NAME[name] ?? (status === undefined ? undefined : BY_STATUS[status]) ?? 'EIO';
  // Transport errors carry a Node code beside the SDK's name (TimeoutError + ECONNRESET): show both.
  const nodeCode = ((error ?? {}) as SdkError).code;
  const where = [name, nodeCode !== undefined && nodeCode !== name ? nodeCode : undefined, status === undefined ? undefined : `HTTP ${status}`]
    .filter((part) => part !== undefined)
    .join(', ');
  const detail = name === 'NoSuchBucket' && bucket !== undefined ? `: bucket '${bucket}' does not exist` : '';
  return new StorageError(code, `${action} failed (${where})${detail}`, { path: key, cause: error });
}

/** True for "this key has no object" answers: GET's NoSuchKey and HEAD's bodiless 404. */
export function isMissingKey(error: unknown): boolean {
  const name = s3ErrorName(error);
  return name === 'NoSuchKey' || (name === 'NotFound' && httpStatusOf(error) === 404);
}
