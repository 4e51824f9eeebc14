import { parseKey } from '@store/backend-core';
import { HttpError } from './http-error.js';

/**
 * The key a request names after `prefix` in its raw URL, and whether it ends with `/`
 * (a directory). Decoding is done here, segment by segment, on the raw target — never by
 * the router — so that an encoded separator (`%2f`, `%5c`) cannot create a segment
 * boundary and an encoded `..` (`%2e%2e`) is judged after decoding, by the backend-core
 * path rules (no `.`/`..`, NUL, backslash or empty segments). Malformed or overlong UTF-8
 * (`%c0%ae`) is rejected: decodeURIComponent refuses it.
 */
export function keyFromUrl(rawUrl: string, prefix: string): { key: string; directory: boolean } {
  const q = rawUrl.indexOf('?');
  const target = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (!target.startsWith(prefix)) throw new HttpError(404, 'ENOENT', 'no such route');
  const rest = target.slice(prefix.length);
  const directory = rest === '' || rest.endsWith('/');
  const body = directory ? rest.slice(0, -1) : rest;
  if (body === '') return { key: '', directory: true };
  const segments = body.split('/').map((raw) => {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, 'EINVAL', 'path is not valid percent-encoded UTF-8', { field: 'path' });
    }
    if (segment.includes('/')) throw new HttpError(400, 'EINVAL', 'encoded "/" inside a path segment', { field: 'path' });
    return segment;
  });
  const key = segments.join('/');
  // Throws StorageError EINVAL for every rule of the contract.
  parseKey(key);
  return { key, directory };
}

/** Validates a one-segment name (an event log's); `EINVAL` otherwise. */
export function checkName(name: string, what: string): string {
  const segments = parseKey(name);
  if (segments.length !== 1) throw new HttpError(400, 'EINVAL', `${what} must be one path segment`, { field: what });
  return segments[0]!;
}

/**
 * The value of query parameter `name` in a raw request target, percent-decoded strictly
 * (malformed or overlong UTF-8 is `EINVAL`, not replaced by U+FFFD as query parsers do), so
 * a key that travels in the query is judged by the same bytes as one in the path.
 * `+` is a space, as in any form-encoded query. Undefined when the parameter is absent.
 */
export function strictQueryParam(rawUrl: string, name: string): string | undefined {
  const q = rawUrl.indexOf('?');
  if (q === -1) return undefined;
  for (const pair of rawUrl.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    if (rawName !== name) continue;
    try {
      return decodeURIComponent((eq === -1 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      throw new HttpError(400, 'EINVAL', `query parameter '${name}' is not valid percent-encoded UTF-8`, { field: name });
    }
  }
  return undefined;
}
