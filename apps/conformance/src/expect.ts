import { ERROR_CODES } from '@store/backend-core';
import { ConformanceFailure } from './case.js';

/**
 * Tiny assertions, so the suite runs under any test runner (or none) without pulling
 * one in. Messages name what was expected and what came back.
 */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

export function checkBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (!(actual instanceof Uint8Array)) throw new ConformanceFailure(`${what}: expected a Uint8Array, got ${typeof actual}`);
  if (actual.byteLength !== expected.byteLength) {
    throw new ConformanceFailure(`${what}: expected ${expected.byteLength} bytes, got ${actual.byteLength}`);
  }
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (!a.equals(e)) {
    let i = 0;
    while (a[i] === e[i]) i++;
    throw new ConformanceFailure(`${what}: bytes differ first at offset ${i}`);
  }
}

export function checkEqual<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new ConformanceFailure(`${what}: expected ${e}, got ${a}`);
}

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/** Runs `fn` and requires it to reject with one of `codes` (a code string on the error). */
export async function checkRejects(fn: () => Promise<unknown>, codes: string[], what: string): Promise<void> {
  let result: unknown;
  try {
    result = await fn();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !KNOWN_CODES.has(code)) {
      throw new ConformanceFailure(`${what}: expected an error with a StorageError code (${codes.join('|')}), got ${describe(error)}`);
    }
    if (!codes.includes(code)) throw new ConformanceFailure(`${what}: expected ${codes.join(' or ')}, got ${code}`);
    return;
  }
  throw new ConformanceFailure(`${what}: expected ${codes.join(' or ')}, but it succeeded${result === undefined ? '' : ` with ${describe(result)}`}`);
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

/** UTF-8 bytes of a string, for the many small files the cases write. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
