import { StorageError } from '@store/backend-core';

/**
 * Argument checks shared by the plugin summaries (pr curves, audio, images, video, mesh,
 * custom scalars, embeddings). Each throws EINVAL naming the offending field, before anything
 * is encoded, so a rejected call writes nothing.
 */

// In a `u` regexp a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

/** A string that encodes to UTF-8 exactly (no unpaired surrogate, which would become U+FFFD). */
export function checkString(value: unknown, field: string, { nonEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new StorageError('EINVAL', `${field} must be a string`, { field });
  if (nonEmpty && value === '') throw new StorageError('EINVAL', `${field} must be a non-empty string`, { field });
  if (LONE_SURROGATE.test(value)) throw new StorageError('EINVAL', `${field} contains an unpaired UTF-16 surrogate (not encodable as UTF-8)`, { field });
  return value;
}

export function checkTagString(tag: unknown): string {
  return checkString(tag, 'tag', { nonEmpty: true });
}

export function checkInteger(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StorageError('EINVAL', `${field} must be an integer in [${min}, ${max}], got ${String(value)}`, { field });
  }
  return value;
}

export function checkFinite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new StorageError('EINVAL', `${field} must be a finite number, got ${String(value)}`, { field });
  return value;
}

export type NumericArray = ArrayLike<number>;

/** Array-likes of numbers we accept: plain arrays and every numeric typed array except BigInt ones. */
export function checkNumericArray(value: unknown, field: string): NumericArray {
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array))) {
    return value as NumericArray;
  }
  throw new StorageError('EINVAL', `${field} must be an array or typed array of numbers`, { field });
}

/** Every element a finite number. */
export function checkFiniteArray(value: unknown, field: string): NumericArray {
  const array = checkNumericArray(value, field);
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new StorageError('EINVAL', `${field}[${i}] must be a finite number, got ${String(v)}`, { field: `${field}[${i}]` });
  }
  return array;
}

/** A shape of positive integers whose product is `length`. */
export function checkShape(shape: unknown, length: number, field: string, rank?: number): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 1)) {
    throw new StorageError('EINVAL', `${field} must be an array of positive integers`, { field });
  }
  if (rank !== undefined && shape.length !== rank) throw new StorageError('EINVAL', `${field} must have ${rank} dimensions, got ${shape.length}`, { field });
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (count !== length) throw new StorageError('EINVAL', `${field} [${shape.join(', ')}] holds ${count} values but the data has ${length}`, { field });
  return shape as number[];
}
