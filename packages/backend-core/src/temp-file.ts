import { randomBytes } from 'node:crypto';
import { TEMP_PREFIX } from './path.js';

/**
 * Temp names are `.~tmp.<process token>.<counter>`: fixed length (so a 255-byte target
 * name still fits), unique across processes without a random draw per write, and
 * reserved by the path rules so no user file can collide with one.
 */
const processToken = randomBytes(6).toString('hex');
let counter = 0;

export function nextTempName(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${TEMP_PREFIX}${processToken}.${counter.toString(36)}`;
}

/**
 * How old an unfinished temp file must be before recovery removes it. Generous, because
 * a slow writer (a 1 GiB file over a busy disk) is still alive and must not lose its file.
 */
export const DEFAULT_TEMP_MAX_AGE_MS = 10 * 60 * 1000;
