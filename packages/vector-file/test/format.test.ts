import { describe, expect, it } from 'vitest';
import { encodeRecord, parseRecord, recordSize, viewOf, type EncodeInput } from '../src/format.js';

describe('record encoding', () => {
  it('writes every byte of a record (padding and reserved bytes zero) whatever the buffer held before', () => {
    const inputs: EncodeInput[] = [
      { id: 'a', idBytes: 1, values: new Float32Array([1, 2]), dimension: 2, meta: null, metaBytes: 0, deleted: false, version: 1, created: 5, updated: 5 },
      { id: 'ümlaut-id', idBytes: 10, values: new Float32Array([3, -0, 1e-40]), dimension: 3, meta: '{"k":"ü"}', metaBytes: 10, deleted: false, version: 7, created: 1, updated: 9 },
      { id: 'gone', idBytes: 4, values: null, dimension: 0, meta: null, metaBytes: 0, deleted: true, version: 1, created: 2, updated: 2 },
    ];
    for (const r of inputs) {
      const size = recordSize(r.idBytes, r.dimension, r.metaBytes);
      const encode = (fill: number): Buffer => {
        const b = Buffer.from(new ArrayBuffer(size + 16)).fill(fill);
        const got = encodeRecord(b, viewOf(b), new Float32Array(b.buffer), 8, r);
        expect(got).toBe(size);
        expect(b.subarray(size + 8).every((x) => x === fill)).toBe(true); // nothing written past the record
        return b.subarray(8, 8 + size);
      };
      const clean = encode(0);
      expect(encode(0xff).equals(clean)).toBe(true);
      const parsed = parseRecord(clean, viewOf(clean), 0, clean.length);
      expect(parsed).toMatchObject({ ok: true, fields: { id: r.id, dimension: r.dimension, version: r.version, deleted: r.deleted } });
      // A get that knows the id takes the same path with or without decoding it.
      expect(parseRecord(clean, viewOf(clean), 0, clean.length, r.id)).toEqual(parsed);
      expect(parseRecord(clean, viewOf(clean), 0, clean.length, 'other')).toEqual(parsed);
    }
  });
});
