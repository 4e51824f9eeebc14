/**
 * The one data model shared by every adapter. Anything outside it is rejected with
 * EINVAL rather than silently coerced, because a storage format that "mostly" round-trips
 * loses data in exactly the cases nobody tested.
 */
export type Value = null | boolean | number | string | bigint | Date | Uint8Array | Value[] | ValueObject;

/** A plain object (prototype `Object.prototype` or `null`) with string keys. */
export interface ValueObject {
  [key: string]: Value;
}

export function isPlainObject(value: object): value is ValueObject {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Assigns an own enumerable property. Plain assignment of `__proto__` would replace the
 * prototype instead of creating a key, so that one key goes through defineProperty.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** A short human description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value !== 'object') return typeof value;
  const proto: unknown = Object.getPrototypeOf(value);
  const ctor = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof ctor === 'string' && ctor !== '' ? `an instance of ${ctor}` : 'an object with a foreign prototype';
}
