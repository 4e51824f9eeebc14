import { isStorageError, type StorageErrorCode } from '@store/backend-core';

/** HTTP status for each StorageError code. */
export const STATUS_OF: Record<StorageErrorCode, number> = {
  ENOENT: 404,
  EISDIR: 409,
  ENOTDIR: 409,
  EINVAL: 400,
  EEXIST: 409,
  EACCES: 403,
  ECONFLICT: 409,
  ECORRUPT: 500,
  ELOCKED: 423,
  ECLOSED: 503,
  EIO: 500,
};

/** The JSON error body every failing route answers: `{ "error": { "code", "message", ... } }`. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** The limit that was exceeded (`maxBodyBytes`, `maxUrlBytes`, `maxBatchEvents`). */
    limit?: string;
    /** The request field at fault, when known. */
    field?: string;
    /** The key at fault (as the request named it), for errors of the storage backend. */
    path?: string;
  };
}

/**
 * An error a route throws to answer a specific status. `code` is a StorageError code
 * where one applies (EINVAL, ENOENT, …) or an HTTP-level one (EAUTH, ELIMIT, EPRECONDITION, …).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly limit: string | undefined;
  readonly field: string | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, code: string, message: string, extra: { limit?: string; field?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.limit = extra.limit;
    this.field = extra.field;
    this.headers = extra.headers;
  }
}

export function limitError(status: number, limit: string, message: string): HttpError {
  return new HttpError(status, 'ELIMIT', `${message} (limit ${limit})`, { limit });
}

/** Status and body for any thrown value; unknown errors become a bare 500 (details go to the log only). */
export function toHttpError(error: unknown, redact: (m: string) => string): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: redact(error.message) } };
    if (error.limit !== undefined) body.error.limit = error.limit;
    if (error.field !== undefined) body.error.field = error.field;
    return { status: error.status, body, ...(error.headers === undefined ? {} : { headers: error.headers }) };
  }
  if (isStorageError(error)) {
    const body: ErrorBody = { error: { code: error.code, message: redact(error.message) } };
    if (error.field !== undefined) body.error.field = error.field;
    if (error.path !== undefined) body.error.path = redact(error.path);
    return { status: STATUS_OF[error.code] ?? 500, body };
  }
  const e = error as { statusCode?: number; code?: string; message?: string; validation?: unknown } | undefined;
  // fastify's own errors (schema validation, body limits, bad URLs, content types).
  if (e !== undefined && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { status: 413, body: { error: { code: 'ELIMIT', message: 'request body is larger than the limit (limit maxBodyBytes)', limit: 'maxBodyBytes' } } };
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return { status: 415, body: { error: { code: 'EINVAL', message: redact(e.message ?? 'unsupported media type') } } };
    }
    return { status: e.statusCode, body: { error: { code: 'EINVAL', message: redact(e.message ?? 'bad request') } } };
  }
  return { status: 500, body: { error: { code: 'EIO', message: 'internal error' } } };
}
