import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { json, xml, yaml, type FormatAdapter, type Value } from '../src/index.js';
import { keyArb, valueArb } from './arbitraries.js';

// 100,000 runs per format is the acceptance bar and what CI runs; FORMAT_PROPERTY_RUNS
// lowers it for a quick local loop. The seed makes any failure reproducible.
const RUNS = Number(process.env.FORMAT_PROPERTY_RUNS ?? 100_000);
const SEED = Number(process.env.FORMAT_PROPERTY_SEED ?? 20261121);

function roundTrips(adapter: FormatAdapter, value: Value): void {
  const text = adapter.serialize(value);
  const back = adapter.deserialize(text);
  if (!isDeepStrictEqual(back, value)) {
    throw new Error(`${adapter.name} round trip changed the value\ntext:\n${text}`);
  }
  // Deterministic and canonical: writing what was read gives the same bytes.
  const again = adapter.serialize(back);
  if (again !== text) throw new Error(`${adapter.name} output not canonical:\n${text}\n---\n${again}`);
  if (!text.endsWith('\n')) throw new Error(`${adapter.name} output lacks the trailing newline`);
}

describe.each([json, xml, yaml])('$name round trip (fast-check)', (adapter) => {
  it(`deserialize(serialize(x)) deep-equals x for ${RUNS} seeded values`, () => {
    const started = performance.now();
    fc.assert(
      fc.property(valueArb, (value) => roundTrips(adapter, value)),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`${adapter.name}: ${RUNS} round-trip runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);

  it('long strings and long lines stay intact (no folding or wrapping)', () => {
    const longText = fc.string({ unit: fc.constantFrom('a', ' ', ' ', '\n', '-', '#', ':', 'é', '\t'), minLength: 200, maxLength: 3000 });
    fc.assert(fc.property(fc.dictionary(keyArb, longText, { maxKeys: 3, noNullPrototype: true }), (value) => roundTrips(adapter, value)), { numRuns: 300, seed: SEED });
  });

  it('keeps -0, empty and one-element containers, __proto__ and empty keys', () => {
    const value: Value = JSON.parse('{"__proto__": {"": [], "0": {}, "one": [[]], "z": 1}}') as Value;
    (value as Record<string, Value>).neg = -0;
    (value as Record<string, Value>).tagLike = { $date: '2024-01-01T00:00:00.000Z' };
    roundTrips(adapter, value);
    const back = adapter.deserialize(adapter.serialize(value)) as Record<string, Value>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'neg', 'tagLike']);
    expect(Object.is(back.neg, -0)).toBe(true);
  });

  it('writes null-prototype objects and Buffers, reading them back as plain objects and Uint8Arrays', () => {
    const bare = Object.assign(Object.create(null) as Record<string, Value>, { a: 1 });
    const back = adapter.deserialize(adapter.serialize({ bare, buf: Buffer.from('hi') })) as Record<string, Value>;
    expect(isDeepStrictEqual(back, { bare: { a: 1 }, buf: new Uint8Array([104, 105]) })).toBe(true);
  });

  it('writes a value shared in two places twice (not a cycle)', () => {
    const shared = { n: 1 };
    const back = adapter.deserialize(adapter.serialize({ a: shared, b: [shared] }));
    expect(isDeepStrictEqual(back, { a: { n: 1 }, b: [{ n: 1 }] })).toBe(true);
  });
});
