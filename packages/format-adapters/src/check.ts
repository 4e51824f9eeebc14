import { unsupported } from './errors.js';
import { formatPath, type PathSegment } from './path.js';
import { describe, isPlainObject, type Value } from './value.js';

/**
 * Walks a value before it is written and throws EINVAL (with the JSON path) at the first
 * thing outside the data model: non-finite numbers, undefined, functions, symbols, class
 * instances, invalid dates, sparse or decorated arrays, symbol keys, cycles, or nesting
 * deeper than `maxDepth`. Shared references that are not cycles are fine (written twice).
 */
export function checkValue(value: unknown, maxDepth: number): asserts value is Value {
  const segments: PathSegment[] = [];
  const ancestors: object[] = [];
  visit(value, segments, ancestors, maxDepth);
}

function visit(value: unknown, segments: PathSegment[], ancestors: object[], maxDepth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw unsupported(segments, `non-finite number ${describe(value)} is not supported`);
      return;
    case 'undefined':
      throw unsupported(segments, 'undefined is not supported (use null or leave the key out)');
    case 'function':
    case 'symbol':
      throw unsupported(segments, `a ${typeof value} is not supported`);
  }
  if (value === null) return;
  const obj = value as object;
  if (obj instanceof Date) {
    if (Object.getPrototypeOf(obj) !== Date.prototype) throw unsupported(segments, `${describe(obj)} is not supported`);
    if (Number.isNaN(obj.getTime())) throw unsupported(segments, 'an invalid Date is not supported');
    return;
  }
  if (obj instanceof Uint8Array) return; // Buffer included; it reads back as a plain Uint8Array.
  const cycleAt = ancestors.indexOf(obj);
  if (cycleAt !== -1) {
    throw unsupported(segments, `circular reference: this value is its own ancestor ${formatPath(segments.slice(0, cycleAt))}`);
  }
  if (ancestors.length >= maxDepth) throw unsupported(segments, `nesting deeper than maxDepth ${maxDepth}`);
  ancestors.push(obj);
  if (Array.isArray(obj)) {
    if (Object.getPrototypeOf(obj) !== Array.prototype) throw unsupported(segments, `${describe(obj)} is not supported`);
    const keys = Object.keys(obj);
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) {
        segments.push(i);
        throw unsupported(segments, 'a hole in a sparse array is not supported');
      }
      segments.push(i);
      visit(obj[i], segments, ancestors, maxDepth);
      segments.pop();
    }
    if (keys.length !== obj.length) {
      const extra = keys.find((k) => !/^(?:0|[1-9]\d*)$/.test(k))!;
      segments.push(extra);
      throw unsupported(segments, 'an array with named properties is not supported');
    }
  } else if (isPlainObject(obj)) {
    if (Object.getOwnPropertySymbols(obj).length > 0) throw unsupported(segments, 'symbol keys are not supported');
    for (const key of Object.keys(obj)) {
      segments.push(key);
      visit((obj as Record<string, unknown>)[key], segments, ancestors, maxDepth);
      segments.pop();
    }
  } else {
    throw unsupported(segments, `${describe(obj)} is not supported (only plain objects, arrays, Date and Uint8Array)`);
  }
  ancestors.pop();
}
