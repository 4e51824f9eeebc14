import { StorageError } from '@store/backend-core';
import { MAX_DIMENSION, MAX_ID_BYTES, MAX_METADATA_BYTES } from './format.js';

/** A vector as callers may pass it: float32 already, or any numbers (converted to float32). */
export type VectorInput = Float32Array | ArrayLike<number>;

/** In a `u` regular expression a surrogate pair is one code point, so this matches only lone halves. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Checks an id; returns its UTF-8 length. */
export function checkId(id: unknown, field: string): number {
  if (typeof id !== 'string' || id.length === 0) throw new StorageError('EINVAL', `${field} must be a non-empty string`, { field });
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) throw new StorageError('EINVAL', `${field} is ${bytes} UTF-8 bytes, over the limit of ${MAX_ID_BYTES}`, { field });
  if (LONE_SURROGATE.test(id)) throw new StorageError('EINVAL', `${field} has a lone surrogate (not valid UTF-16, so not storable as UTF-8)`, { field });
  return bytes;
}

/**
 * A copy of the vector as float32, after checking its length against `dimension` (0 = not
 * fixed yet) and that every value is finite in float32. The copy is what gets checked,
 * written and indexed for search: the record is encoded later (after earlier writes), and
 * the caller may reuse its array meanwhile. `into` (`dimension` floats), when given, receives
 * the copy: a batch copies into one block instead of allocating a buffer per vector.
 * `item` is the field name for errors, or the index of a `putBatch` item (its field is then
 * `items[item].vector`, a string built only for an error: one per vector would cost more
 * than the check).
 */
export function checkVector(vector: unknown, dimension: number, item: string | number, into?: Float32Array): Float32Array {
  // The common case inline: a Float32Array of the file's dimension (dimension 0 = not fixed yet takes the slow path).
  if (!(vector instanceof Float32Array) || vector.length !== dimension) {
    return checkVectorSlow(vector, dimension, typeof item === 'number' ? `items[${item}].vector` : item);
  }
  let values: Float32Array;
  if (into === undefined) values = vector.slice();
  else {
    into.set(vector);
    values = into;
  }
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    // x - x is NaN for NaN and ±Infinity: one test for both.
    if (x - x !== 0) return checkVectorSlow(values, dimension, typeof item === 'number' ? `items[${item}].vector` : item);
  }
  return values;
}

/** checkVector for everything but a finite Float32Array of the expected dimension: copies or converts, and throws the errors. */
function checkVectorSlow(vector: unknown, dimension: number, field: string): Float32Array {
  if (vector === null || typeof vector !== 'object' || typeof (vector as ArrayLike<number>).length !== 'number') {
    throw new StorageError('EINVAL', `${field} must be a Float32Array or an array of numbers`, { field });
  }
  const input = vector as ArrayLike<number>;
  // A detached buffer's array has length 0 (and slice() of it would throw a TypeError): the length check below refuses it.
  const values = input instanceof Float32Array ? (input.length === 0 ? new Float32Array(0) : input.slice()) : Float32Array.from(input, Number);
  if (values.length === 0 || values.length > MAX_DIMENSION) {
    throw new StorageError('EINVAL', `${field} has ${values.length} values; a vector has 1..${MAX_DIMENSION}`, { field });
  }
  if (dimension !== 0 && values.length !== dimension) {
    throw new StorageError('EINVAL', `${field} has dimension ${values.length}, the file ${dimension}`, { field });
  }
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    // x - x is NaN for NaN and ±Infinity: one test for both.
    if (x - x !== 0) {
      const shown = input instanceof Float32Array ? String(x) : String(input[i]);
      throw new StorageError('EINVAL', `${field}[${i}] is ${shown}; values must be finite float32 numbers`, { field: `${field}[${i}]` });
    }
  }
  return values;
}

/** Metadata as JSON text (null when there is none), within the size limit. */
export function checkMetadata(metadata: unknown, field: string): { json: string | null; bytes: number } {
  if (metadata === undefined || metadata === null) return { json: null, bytes: 0 };
  let json: string | undefined;
  try {
    json = JSON.stringify(metadata);
  } catch (cause) {
    throw new StorageError('EINVAL', `${field} is not JSON-serialisable: ${(cause as Error).message}`, { field, cause });
  }
  if (json === undefined) throw new StorageError('EINVAL', `${field} is not JSON-serialisable`, { field });
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_METADATA_BYTES) throw new StorageError('EINVAL', `${field} is ${bytes} bytes of JSON, over the limit of ${MAX_METADATA_BYTES}`, { field });
  return { json, bytes };
}

export function checkK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0) throw new StorageError('EINVAL', `k must be a non-negative integer, got ${String(k)}`, { field: 'k' });
  return k;
}
