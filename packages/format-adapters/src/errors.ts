import { StorageError } from '@store/backend-core';
import { formatPath, type PathSegment } from './path.js';

/**
 * A StorageError that also knows where in the text the problem is. It stays a
 * StorageError (same `code`, `offset`, `field`), so callers need no new branch.
 */
export class FormatError extends StorageError {
  /** 1-based line of the problem in the input text, when known. */
  readonly line: number | undefined;
  /** 1-based column (UTF-16 code units) of the problem, when known. */
  readonly column: number | undefined;

  constructor(
    code: 'EINVAL' | 'ECORRUPT',
    message: string,
    where: { offset?: number; line?: number; column?: number; field?: string; cause?: unknown } = {},
  ) {
    const at = where.line === undefined ? '' : ` at line ${where.line}${where.column === undefined ? '' : `, column ${where.column}`}`;
    super(code, `${message}${at}`, { offset: where.offset, field: where.field, cause: where.cause });
    this.line = where.line;
    this.column = where.column;
  }
}

/** A value outside the data model (or over a limit) while serializing. */
export function unsupported(segments: readonly PathSegment[], message: string): FormatError {
  return new FormatError('EINVAL', message, { field: formatPath(segments) });
}

/** Text that does not decode into the data model. */
export function corrupt(format: string, message: string, where: { offset?: number; line?: number; column?: number; segments?: readonly PathSegment[]; cause?: unknown } = {}): FormatError {
  return new FormatError('ECORRUPT', `malformed ${format}: ${message}`, {
    ...where,
    field: where.segments === undefined ? undefined : formatPath(where.segments),
  });
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}
