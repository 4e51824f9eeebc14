import { crc32c } from '@store/backend-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIndex, encodeIndex } from '../src/index-file.js';
import { OffsetIndex } from '../src/offset-index.js';

const token = new Uint8Array(16).fill(7);

/** Ids that collide in length and share prefixes, ASCII and not (2-, 3- and 4-byte UTF-8). */
const idArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map((n) => `k${n}`),
  fc.constantFrom('ü', 'üü', 'ö', '日本', '😀', 'a😀', 'x'.repeat(512), 'é'.repeat(200)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
);
const opArb = fc.oneof(
  fc.tuple(fc.constant('set' as const), idArb, fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n * 8)),
  fc.tuple(fc.constant('delete' as const), idArb, fc.constant(0)),
);

describe('OffsetIndex (typed-array hash table) behaves like a Map', () => {
  it('get, has, set, delete, size and iteration equal a Map after any sequence of operations, and survive the index file', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 600 }), fc.integer({ min: 0, max: 64 }), (ops, capacity) => {
        const index = new OffsetIndex(capacity);
        const model = new Map<string, number>();
        for (const [kind, id, offset] of ops) {
          if (kind === 'set') {
            index.set(id, offset);
            model.set(id, offset);
          } else {
            expect(index.delete(id)).toBe(model.delete(id));
          }
          expect(index.size).toBe(model.size);
          expect(index.get(id)).toBe(model.get(id));
        }
        const check = (ix: OffsetIndex): void => {
          expect(ix.size).toBe(model.size);
          expect(new Map(ix)).toEqual(model);
          for (const [, id] of ops) expect([ix.has(id), ix.get(id)]).toEqual([model.has(id), model.get(id)]);
          expect(ix.idsInFileOrder()).toEqual([...model].sort((a, b) => a[1] - b[1]).map(([id]) => id));
        };
        check(index);
        // Through the file format: the decoded index (ids left in the file's bytes) is the same, and takes new ids.
        const covered = Math.max(64, ...model.values()) + 8;
        const decoded = decodeIndex(encodeIndex(token, covered, 3, index), 'x.idx');
        expect(decoded.coveredSize).toBe(covered);
        check(decoded.offsets);
        decoded.offsets.set('after-load', 8);
        model.set('after-load', 8);
        check(decoded.offsets);
      }),
      { numRuns: 150, seed: 14 },
    );
  });

  it('answers like a Map for keys that are not strings', () => {
    const index = new OffsetIndex();
    index.set('1', 8);
    for (const key of [1, undefined, null, {}, ['1']]) {
      expect(index.get(key as unknown as string)).toBeUndefined();
      expect(index.has(key as unknown as string)).toBe(false);
      expect(index.delete(key as unknown as string)).toBe(false);
    }
    expect(index.size).toBe(1);
  });

  it('grows past many ids without losing one', () => {
    const index = new OffsetIndex();
    for (let i = 0; i < 50_000; i++) index.set(`id-${i}`, i * 8);
    for (let i = 0; i < 50_000; i += 2) index.delete(`id-${i}`);
    expect(index.size).toBe(25_000);
    const wrong: number[] = [];
    for (let i = 0; i < 50_000; i++) if (index.get(`id-${i}`) !== (i % 2 === 0 ? undefined : i * 8)) wrong.push(i);
    expect(wrong).toEqual([]);
  });

  it('refuses an index file that names an id twice (with a valid checksum) with ECORRUPT', () => {
    const index = new OffsetIndex();
    index.set('a', 64);
    index.set('b', 128);
    const bytes = encodeIndex(token, 256, 3, index);
    // Rename 'b' to 'a' and fix the checksum: only the duplicate check can catch it.
    const at = bytes.indexOf('b', 40);
    bytes[at] = 'a'.charCodeAt(0);
    bytes.writeUInt32LE(crc32c(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
    expect(() => decodeIndex(bytes, 'x.idx')).toThrow(expect.objectContaining({ code: 'ECORRUPT' }));
  });
});
