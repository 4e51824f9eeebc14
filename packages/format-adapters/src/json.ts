import type { FormatAdapter } from './adapter.js';
import { checkValue } from './check.js';
import { corrupt, FormatError, lineColumnAt } from './errors.js';
import { countKeyColons, countKeyTokens, locateDuplicateKey } from './json-keys.js';
import { locateJsonError } from './json-locate.js';
import { checkInput, checkOutput, resolveLimits, type Limits, type ResolvedLimits } from './limits.js';
import { formatPath, type PathSegment } from './path.js';
import { formatBytes, formatDate, parseBigInt, parseBytes, parseDate } from './scalars.js';
import { setOwn, type Value } from './value.js';

/**
 * JSON has no Date, bigint, bytes or negative zero, so those are written as one-key
 * "tag" objects: `{"$date": "…"}`, `{"$bigint": "…"}`, `{"$bytes": "<base64>"}`,
 * `{"$number": "-0"}`. A user object that has exactly one key starting with `$` gets
 * one more `$` in front of that key on disk, so it can never be mistaken for a tag.
 * Objects with several keys are written untouched (`$schema`, `$ref` stay readable).
 */
export const JSON_TAGS = { date: '$date', bigint: '$bigint', bytes: '$bytes', number: '$number' } as const;

export class JsonAdapter implements FormatAdapter {
  readonly name = 'json';
  readonly extension = 'json';
  readonly mediaType = 'application/json';
  readonly #limits: ResolvedLimits;

  constructor(limits: Limits = {}) {
    this.#limits = resolveLimits(limits);
  }

  serialize(value: Value): string {
    checkValue(value, this.#limits.maxDepth);
    return checkOutput(`${JSON.stringify(encode(value), null, 2)}\n`, this.#limits, 'JSON');
  }

  deserialize(text: string): Value {
    checkInput(text, this.#limits, 'JSON');
    // RFC 8259 §8.1 lets a parser ignore a byte order mark; editors on Windows add one.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw syntaxError(text, error);
    }
    keysSeen = 0;
    const result = decode(parsed, [], this.#limits.maxDepth);
    // Key tokens ≤ colons that may end one (countKeyColons), and keys ≤ key tokens: when the
    // text has no more such colons than the value has keys, no key can have been dropped.
    // Only otherwise (a string that starts with ':', or a real duplicate) count key tokens.
    if (keysSeen !== 0 && countKeyColons(text, keysSeen) > keysSeen && keysSeen !== countKeyTokens(text)) {
      const dup = locateDuplicateKey(text);
      if (dup !== undefined) {
        throw corrupt('JSON', `duplicate key ${JSON.stringify(dup.key)} (JSON.parse would keep only the last)`, { offset: dup.offset, ...lineColumnAt(text, dup.offset) });
      }
    }
    return result;
  }
}

/** Keys of the parsed value `decode` walked; compared with the key tokens of the text. */
let keysSeen = 0;

/** Copy-on-write: subtrees that need no tagging are returned as they are. */
function encode(value: Value): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'bigint') return { [JSON_TAGS.bigint]: value.toString() };
    if (value === 0 && Object.is(value, -0)) return { [JSON_TAGS.number]: '-0' };
    return value;
  }
  if (value instanceof Date) return { [JSON_TAGS.date]: formatDate(value) };
  if (value instanceof Uint8Array) return { [JSON_TAGS.bytes]: formatBytes(value) };
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      const enc = encode(item);
      if (enc !== item && out === undefined) out = value.slice(0, i);
      out?.push(enc);
    }
    return out ?? value;
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0]!.startsWith('$')) {
    const out = {};
    setOwn(out, `$${keys[0]}`, encode(value[keys[0]!]!));
    return out;
  }
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = value[key]!;
    const enc = encode(item);
    if (enc !== item && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j]!, value[keys[j]!]);
    }
    if (out !== undefined) setOwn(out, key, enc);
  }
  return out ?? value;
}

function decode(value: unknown, segments: PathSegment[], depthLeft: number): Value {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw corrupt('JSON', 'number out of the float64 range', { segments });
    }
    return value as Value;
  }
  // A type tag ({"$date": …}) is a scalar of the data model, not a level of nesting: the
  // writer's depth check does not count it, so neither may the reader's.
  const isArray = Array.isArray(value);
  const keys = isArray ? [] : Object.keys(value);
  keysSeen += keys.length;
  if (keys.length === 1 && keys[0]!.startsWith('$') && !keys[0]!.startsWith('$$')) return decodeTagged(keys[0]!, (value as Record<string, unknown>)[keys[0]!], segments, depthLeft);
  if (depthLeft === 0) throw new FormatError('EINVAL', `JSON nesting deeper than maxDepth`, { field: formatPath(segments) });
  if (isArray) {
    let out: Value[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      segments.push(i);
      const dec = decode(item, segments, depthLeft - 1);
      segments.pop();
      if (dec !== item && out === undefined) out = value.slice(0, i) as Value[];
      out?.push(dec);
    }
    return out ?? (value as Value[]);
  }
  const obj = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0]!.startsWith('$$')) return decodeTagged(keys[0]!, obj[keys[0]!], segments, depthLeft);
  let out: Record<string, Value> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = obj[key];
    segments.push(key);
    const dec = decode(item, segments, depthLeft - 1);
    segments.pop();
    if (dec !== item && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j]!, obj[keys[j]!]);
    }
    if (out !== undefined) setOwn(out, key, dec);
  }
  return (out ?? obj) as Value;
}

function decodeTagged(key: string, inner: unknown, segments: PathSegment[], depthLeft: number): Value {
  if (key.startsWith('$$')) {
    const real = key.slice(1);
    segments.push(real);
    const dec = decode(inner, segments, depthLeft - 1);
    segments.pop();
    const out = {};
    setOwn(out, real, dec);
    return out;
  }
  segments.push(key);
  const bad = (what: string): never => {
    throw corrupt('JSON', `${key} expects ${what}, got ${JSON.stringify(inner)?.slice(0, 60)}`, { segments });
  };
  let result: Value | undefined;
  const text = typeof inner === 'string' ? inner : undefined;
  switch (key) {
    case JSON_TAGS.date:
      result = text === undefined ? undefined : parseDate(text);
      if (result === undefined) bad('an ISO 8601 UTC timestamp like "2024-05-01T12:00:00.000Z"');
      break;
    case JSON_TAGS.bigint:
      result = text === undefined ? undefined : parseBigInt(text);
      if (result === undefined) bad('a decimal integer string');
      break;
    case JSON_TAGS.bytes:
      result = text === undefined ? undefined : parseBytes(text);
      if (result === undefined) bad('a canonical base64 string');
      break;
    case JSON_TAGS.number:
      if (text !== '-0') bad('"-0"');
      result = -0;
      break;
    default:
      throw corrupt('JSON', `unknown tag ${key} (a single-key object whose key starts with "$" is a type tag; write "$${key}" for a literal key)`, { segments });
  }
  segments.pop();
  return result!;
}

function syntaxError(text: string, error: unknown): FormatError {
  const message = error instanceof Error ? error.message : String(error);
  const offset = locateJsonError(text) ?? Number(/at position (\d+)/.exec(message)?.[1] ?? Number.NaN);
  if (Number.isNaN(offset)) return corrupt('JSON', message, { cause: error });
  return corrupt('JSON', message, { offset, ...lineColumnAt(text, offset), cause: error });
}
