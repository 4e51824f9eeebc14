import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { json, xml, yaml, JsonAdapter, XmlAdapter, YamlAdapter, type FormatAdapter, type Value } from '../src/index.js';
import { valueArb } from './arbitraries.js';

function failure(fn: () => unknown): { code: string; message: string; line?: number } {
  try {
    fn();
  } catch (error) {
    if (!isStorageError(error)) return { code: `not a StorageError: ${String(error)}`, message: '' };
    return { code: error.code, message: error.message, line: (error as { line?: number }).line };
  }
  return { code: 'ok', message: '' };
}

const warnings: string[] = [];
const onWarning = (w: Error): void => void warnings.push(w.message);
beforeEach(() => process.on('warning', onWarning));
afterEach(() => {
  process.off('warning', onWarning);
  expect(warnings.splice(0), 'process warnings').toEqual([]);
});

describe('keys are unique as the strings they become', () => {
  test.each([
    ['1: a\n"1": b\n', 2],
    ['true: a\n"true": b\n', 2],
    ['~: a\n"": b\n', 2],
    ['0x1: a\n1: b\n', 2],
    ['x:\n  2: a\n  "2": b\n', 3],
    ['- 1.0: a\n  "1": b\n', 2],
  ])('YAML %j is ECORRUPT at the second key, not merged', (text, line) => {
    expect(failure(() => yaml.deserialize(text))).toMatchObject({ code: 'ECORRUPT', line });
  });

  test.each(['? [a]\n: b\n', '? {a: 1}\n: b\n', '[a]: b\n', '!date 2024-05-01T12:00:00.000Z: a\n', '!bytes aGk=: a\n'])(
    'YAML key %j that is not a plain scalar is ECORRUPT (no stringified key, no process warning)',
    (text) => {
      expect(failure(() => yaml.deserialize(text)).code).toBe('ECORRUPT');
    },
  );

  test('YAML keys that stay distinct still read, numbers and booleans as their strings', () => {
    expect(yaml.deserialize('1: a\n"2": b\ntrue: c\n~: d\n!bigint 7: e\n')).toEqual({ 1: 'a', 2: 'b', true: 'c', '': 'd', 7: 'e' });
  });

  test.each([
    ['{"a":1,"a":2}', 1],
    ['{"a":1,\n"\\u0061":2}', 2],
    ['{"x":{"k":1,\n "k":2}}', 2],
    ['[{"$date":"2024-05-01T12:00:00.000Z","$date":"2024-05-01T12:00:00.000Z"}]', 1],
    // Colons inside values or keys: the check counts those too, and must still see the extra key.
    ['{"t":"12:30:45","u":"https://x.example/a:b",\n"a":1,"a":2}', 2],
    ['{"a:b":1,\n"a:b":2}', 2],
    ['{"a":"x:y",\n"a":"x:y"}', 2],
    // Strings that start with ':' look like the end of a key to the first count: the exact count decides.
    ['{"x":":a","y":" :b",\n"a":1,"a":2}', 2],
    // An escaped colon is a colon of the parsed string but not of the text: it must not hide one.
    ['{"x":"\\u003a","a":1,\n"a":2}', 2],
    ['{"x":"\\u003A\\u003a","a":{"k":"1:2"},\n"a":2}', 2],
  ])('JSON %j is ECORRUPT at the duplicate, not merged', (text, line) => {
    expect(failure(() => json.deserialize(text))).toMatchObject({ code: 'ECORRUPT', line });
  });

  test('JSON: colons in keys and values, literal or escaped, with no duplicate, read', () => {
    expect(json.deserialize('{"t":"12:30:45","a:b":{"c":"::"},"e":"\\u003a:","f":":x","g":"\\":"}')).toEqual({ t: '12:30:45', 'a:b': { c: '::' }, e: '::', f: ':x', g: '":' });
    expect(json.deserialize(json.serialize({ when: new Date(0), s: 'a:b' }))).toEqual({ when: new Date(0), s: 'a:b' });
  });

  test('property: a key repeated anywhere in an object with colons in its strings is ECORRUPT', () => {
    const str = fc.string({ unit: fc.constantFrom('a', ':', 'b', '"', '\\', 'é') });
    // escape: every string value starts with an escaped colon (\u003a), which the fast count must not be fooled by.
    const lit = (v: unknown, escape: boolean): string => (typeof v === 'string' && escape ? `"\\u003a${JSON.stringify(v).slice(1)}` : JSON.stringify(v));
    fc.assert(
      fc.property(fc.dictionary(str, fc.oneof(str, fc.integer(), fc.dictionary(str, str, { maxKeys: 3 })), { minKeys: 1, maxKeys: 6 }), fc.nat(), fc.boolean(), (obj, pick, escape) => {
        const entries = Object.entries(obj).map(([k, v]) => `${JSON.stringify(k)}:${lit(v, escape)}`);
        expect(json.deserialize(`{${entries.join(',')}}`)).toBeDefined();
        const keys = Object.keys(obj);
        const dup = `${JSON.stringify(keys[pick % keys.length])}:${lit('x:y', escape)}`;
        const at = pick % (entries.length + 1);
        expect(failure(() => json.deserialize(`{${[...entries.slice(0, at), dup, ...entries.slice(at)].join(',')}}`)).code).toBe('ECORRUPT');
      }),
      { numRuns: 2000, seed: 20261129 },
    );
  });

  test('JSON: equal keys in different objects, and key-like strings, are fine', () => {
    expect(json.deserialize('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":["x", ":"],"d":"\\":"}')).toEqual({ a: { a: 1 }, b: [{ a: 1 }, { a: 2 }], c: ['x', ':'], d: '":' });
  });
});

const ADAPTERS: Array<[string, (limits: { maxDepth?: number; maxInputLength?: number }) => FormatAdapter]> = [
  ['json', (l) => new JsonAdapter(l)],
  ['xml', (l) => new XmlAdapter(l)],
  ['yaml', (l) => new YamlAdapter(l)],
];

describe.each(ADAPTERS)('%s: limits are symmetric (serialize refuses what deserialize would)', (_name, make) => {
  test('3 M control characters: serialize is EINVAL naming maxInputLength, not 18 M characters its reader refuses', () => {
    const adapter = make({});
    const result = failure(() => adapter.serialize({ s: '\u0001'.repeat(3e6) }));
    expect(result.code).toBe('EINVAL');
    expect(result.message).toMatch(/maxInputLength/);
  });

  test('a value at exactly maxDepth, with tagged scalars at the deepest level, reads back', () => {
    for (const maxDepth of [1, 2, 3]) {
      const adapter = make({ maxDepth });
      let v: Value = [new Date(0), 1n, -0, new Uint8Array([1])];
      for (let d = 2; d <= maxDepth; d++) v = [v];
      const text = adapter.serialize(v);
      expect(isDeepStrictEqual(adapter.deserialize(text), v)).toBe(true);
    }
  });

  test('property: whatever serialize accepts under some limits, deserialize under the same limits reads back', () => {
    fc.assert(
      fc.property(valueArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 20, max: 3000 }), (value, maxDepth, maxInputLength) => {
        const adapter = make({ maxDepth, maxInputLength });
        let text: string;
        try {
          text = adapter.serialize(value);
        } catch (error) {
          if (isStorageError(error, 'EINVAL')) return;
          throw error;
        }
        expect(isDeepStrictEqual(adapter.deserialize(text), value)).toBe(true);
      }),
      { numRuns: 3000, seed: 20261129 },
    );
  });
});

test('the default adapters agree with fresh ones', () => {
  for (const adapter of [json, xml, yaml]) expect(adapter.deserialize(adapter.serialize({ a: [1] }))).toEqual({ a: [1] });
});
