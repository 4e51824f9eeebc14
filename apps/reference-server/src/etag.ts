import { hash } from 'node:crypto';

/**
 * A strong ETag from the content: 132 bits of SHA-256, so two different contents never share one in practice.
 * One-shot `crypto.hash` (no Hash object per call): every PUT and every uncached GET computes one.
 */
export function etagOf(data: Uint8Array): string {
  return `"${hash('sha256', data, 'base64url').slice(0, 22)}"`;
}

/** True when an `If-Match` / `If-None-Match` header value lists `etag` (or is `*` and the resource exists). */
export function matches(header: string, etag: string | undefined): boolean {
  const value = header.trim();
  if (value === '*') return etag !== undefined;
  if (etag === undefined) return false;
  return value.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Parses a single `bytes=` range against a file of `size` bytes: the range, `'unsatisfiable'`
 * (416), or `undefined` when the header should be ignored (not bytes, several ranges, malformed
 * — RFC 9110 lets a server answer 200 with the whole content then).
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (!Number.isSafeInteger(suffix)) return undefined;
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return undefined;
  if (b !== '' && Number(b) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
