import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` in constant time: both sides are hashed to 32
 * bytes first, so neither the comparison nor its length check depends on where the
 * strings first differ.
 */
export function bearerCheck(token: string): (authorization: string | undefined) => void {
  const expected = digest(token);
  const challenge = { 'www-authenticate': 'Bearer realm="store"' };
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (match === null) {
      throw new HttpError(401, 'EAUTH', 'a bearer token is required (Authorization: Bearer <token>)', { headers: challenge });
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw new HttpError(401, 'EAUTH', 'the bearer token is not valid', { headers: { 'www-authenticate': 'Bearer realm="store", error="invalid_token"' } });
    }
  };
}
