import { describe, expect, it } from 'vitest';
import { encodeRecord, parseRecord, recordSize, viewOf, type EncodeInput } from '../src/format.js';
import { BatchEncoder, checkBatch, tombstone } from '../src/writer.js';

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

describe('batch encoding', () => {
  it('writes the same bytes as encodeRecord, record after record, over a buffer that held other records', () => {
    const items = [
      { id: 'a', vector: new Float32Array([1, 2, 3]) },
      { id: 'ümlaut-id', vector: new Float32Array([3, -0, 1e-40]), metadata: { k: 'ü' } },
      { id: 'x'.repeat(13), vector: [0.5, -0.25, 7] },
      { id: '😀', vector: new Float32Array([-1, 1, 0]), metadata: [1, 2, 3, 4, 5] },
    ];
    const encoder = new BatchEncoder();
    const versions = Float64Array.of(1, 7, 2 ** 40 + 3, 2);
    const created = Float64Array.of(5, 1, 2 ** 41 + 1, 9);
    const updated = 2 ** 42 + 12345;
    // First fill the encoder's buffer with other bytes, so stale bytes would show.
    const junk = checkBatch(items.map((it, i) => ({ id: `junk-${i}-${'z'.repeat(40)}`, vector: [9, 9, 9], metadata: { pad: 'q'.repeat(60) } })), 3);
    encoder.encode(junk, versions, created, 1, new Float64Array(4));
    encoder.bytes.fill(0xee, 0, encoder.bytes.length);
    const batch = checkBatch(items, 0);
    const at = new Float64Array(items.length);
    const total = encoder.encode(batch, versions, created, updated, at);
    let p = 0;
    for (let i = 0; i < items.length; i++) {
      expect(at[i]).toBe(p);
      const meta = items[i]!.metadata === undefined ? null : JSON.stringify(items[i]!.metadata);
      const r: EncodeInput = {
        id: items[i]!.id, idBytes: Buffer.byteLength(items[i]!.id), values: Float32Array.from(items[i]!.vector), dimension: 3,
        meta, metaBytes: meta === null ? 0 : Buffer.byteLength(meta), deleted: false, version: versions[i]!, created: created[i]!, updated,
      };
      const size = recordSize(r.idBytes, 3, r.metaBytes);
      const want = Buffer.from(new ArrayBuffer(size));
      encodeRecord(want, viewOf(want), new Float32Array(want.buffer), 0, r);
      expect(encoder.bytes.subarray(p, p + size).equals(want), `record ${i}`).toBe(true);
      p += size;
    }
    expect(total).toBe(p);
    // A tombstone likewise.
    const t = encoder.encode(tombstone('gone', 4), Float64Array.of(3), Float64Array.of(2), 8, new Float64Array(1));
    const want = Buffer.from(new ArrayBuffer(t));
    encodeRecord(want, viewOf(want), new Float32Array(want.buffer), 0, { id: 'gone', idBytes: 4, values: null, dimension: 0, meta: null, metaBytes: 0, deleted: true, version: 3, created: 2, updated: 8 });
    expect(encoder.bytes.subarray(0, t).equals(want)).toBe(true);
  });
});
