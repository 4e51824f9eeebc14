import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '@store/backend-core';
import { decodeSegmentHeader, encodeSegmentHeader } from '../src/segment-header.js';
import { SparseIndex } from '../src/sparse-index.js';

const ascending = fc
  .array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 400 })
  .map((steps) => steps.reduce<number[]>((ids, step) => [...ids, (ids[ids.length - 1] ?? 0) + step], []));

describe('sparse index', () => {
  it('floor finds the last entry ≤ id, for any ascending ids (interpolation + bisection)', () => {
    fc.assert(
      fc.property(ascending, fc.array(fc.nat({ max: 50_000_000 }), { minLength: 1, maxLength: 50 }), (ids, probes) => {
        const index = new SparseIndex();
        ids.forEach((id, i) => index.push(id, 20 + i * 100));
        for (const probe of probes) {
          let expected = -1;
          ids.forEach((id, i) => {
            if (id <= probe) expected = i;
          });
          expect(index.floor(probe)).toBe(expected);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('encode/decode round-trips', () => {
    fc.assert(
      fc.property(ascending, (ids) => {
        const index = new SparseIndex();
        ids.forEach((id, i) => index.push(id, 20 + i * 100));
        const bytes = index.encode({ firstId: 0, coveredSize: 20 + ids.length * 100, lastId: ids[ids.length - 1] ?? 0, count: ids.length, interval: 1024 });
        const { index: back, summary } = SparseIndex.decode(bytes, 'x.idx');
        expect(back.length).toBe(ids.length);
        expect([...back.ids.subarray(0, back.length)]).toEqual(ids);
        expect(summary.count).toBe(ids.length);
      }),
      { seed: 12, numRuns: 100 },
    );
  });

  it('decoding random or mangled bytes returns an index or throws ECORRUPT, never anything else', () => {
    const index = new SparseIndex();
    for (let i = 0; i < 50; i++) index.push(i * 9, 20 + i * 1024);
    const good = index.encode({ firstId: 0, coveredSize: 60_000, lastId: 450, count: 450, interval: 1024 });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 800 }), fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat()).map(([at, v, cut]) => {
        const b = Uint8Array.from(good);
        b[at % b.length] = v;
        return b.subarray(0, cut % (b.length + 1));
      })), (bytes) => {
        try {
          SparseIndex.decode(bytes, 'x.idx');
        } catch (error) {
          expect(isStorageError(error, 'ECORRUPT')).toBe(true);
        }
      }),
      { seed: 13, numRuns: 500 },
    );
  });

  it('segment headers: round-trip, and any damage is ECORRUPT', () => {
    expect(decodeSegmentHeader(encodeSegmentHeader(123_456_789_012), 's')).toBe(123_456_789_012);
    fc.assert(
      fc.property(fc.nat({ max: 19 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const h = encodeSegmentHeader(42);
        h[at]! ^= x;
        expect(() => decodeSegmentHeader(h, 's')).toThrow(/ECORRUPT/);
      }),
      { seed: 14, numRuns: 200 },
    );
    expect(() => decodeSegmentHeader(new Uint8Array(7), 's')).toThrow(/ECORRUPT/);
  });
});
