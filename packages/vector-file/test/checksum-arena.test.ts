import { crc32c, crc32cRange } from '@store/backend-core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ChecksumArena } from '../src/checksum-arena.js';
import { encodeRecord, parseRecord, recordSize, viewOf, type EncodeInput } from '../src/format.js';
import { NOT_ASCII, OffsetIndex, asciiHash } from '../src/offset-index.js';
import { VectorFile } from '../src/index.js';
import { BatchEncoder, checkBatch } from '../src/writer.js';
import { rng, tempDir } from './helpers.js';

describe('ChecksumArena (CRC32C in WebAssembly)', () => {
  it('equals backend-core crc32c at every length 0..600 and offset 0..7, from any initial value', () => {
    const arena = new ChecksumArena(1024);
    const random = rng(5);
    for (let i = 0; i < 1024; i++) arena.bytes[i] = Math.floor(random() * 256);
    const copy = Buffer.from(arena.bytes.subarray(0, 1024));
    for (let len = 0; len <= 600; len++) {
      const start = len % 8;
      const init = Math.floor(random() * 2 ** 32);
      expect(arena.crc(start, start + len, init), `length ${len}`).toBe(crc32cRange(copy, start, start + len, init));
      expect(arena.crc(start, start + len)).toBe(crc32c(copy.subarray(start, start + len)));
    }
  });

  it('equals crc32c on random data of random lengths and positions, and after the memory grew', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), fc.integer({ min: 0, max: 70_000 }), fc.nat(), (data, at, init) => {
        const arena = new ChecksumArena(16);
        arena.ensure(at + data.length); // grows from one page; the tables must survive it
        arena.bytes.set(data, at);
        expect(arena.crc(at, at + data.length, init)).toBe(crc32c(data, init));
      }),
      { numRuns: 60, seed: 14 },
    );
  });

  it('keeps its bytes when it grows, and refuses ranges outside its work area', () => {
    const arena = new ChecksumArena(100);
    arena.bytes.write('hello', 90);
    const before = arena.bytes;
    arena.ensure(1_000_000);
    expect(arena.bytes === before).toBe(false);
    expect(arena.bytes.toString('latin1', 90, 95)).toBe('hello');
    expect(() => arena.crc(-1, 4)).toThrow(RangeError);
    expect(() => arena.crc(0, arena.bytes.length + 1)).toThrow(RangeError);
    expect(() => arena.seal(8, 4)).toThrow(RangeError);
  });

  it('seal gives every record of a batch the checksum encodeRecord gives it; parseRecord checks it in the arena and finds a flipped bit', () => {
    const inputs: EncodeInput[] = [
      { id: 'a', idBytes: 1, values: new Float32Array([1, 2]), dimension: 2, meta: null, metaBytes: 0, deleted: false, version: 1, created: 5, updated: 5 },
      { id: 'ümlaut-id', idBytes: 10, values: new Float32Array([3, -0, 1e-40]), dimension: 3, meta: '{"k":"ü"}', metaBytes: 10, deleted: false, version: 7, created: 1, updated: 9 },
      { id: 'gone', idBytes: 4, values: null, dimension: 0, meta: null, metaBytes: 0, deleted: true, version: 1, created: 2, updated: 2 },
      { id: 'x'.repeat(300), idBytes: 300, values: new Float32Array(700).fill(0.5), dimension: 700, meta: null, metaBytes: 0, deleted: false, version: 2, created: 3, updated: 4 },
    ];
    const arena = new ChecksumArena(0);
    const want: Buffer[] = [];
    let total = 0;
    for (const r of inputs) {
      const b = Buffer.from(new ArrayBuffer(recordSize(r.idBytes, r.dimension, r.metaBytes)));
      encodeRecord(b, viewOf(b), new Float32Array(b.buffer), 0, r);
      want.push(b);
      total += b.length;
    }
    arena.ensure(total);
    let p = 0;
    for (const b of want) {
      arena.bytes.set(b, p);
      arena.bytes.writeUInt32LE(0xdeadbeef, p + 24); // a stale checksum, replaced by seal
      p += b.length;
    }
    arena.seal(0, total);
    expect(arena.bytes.subarray(0, total).equals(Buffer.concat(want))).toBe(true);
    p = 0;
    for (const b of want) {
      expect(arena.recordCrc(p, b.length)).toBe(b.readUInt32LE(24));
      expect(parseRecord(arena.bytes, arena.view, p, total, undefined, arena).ok).toBe(true);
      p += b.length;
    }
    arena.bytes[want[0]!.length + 70]! ^= 0x10;
    expect(parseRecord(arena.bytes, arena.view, want[0]!.length, total, undefined, arena)).toEqual({ ok: false, reason: 'checksum mismatch' });
  });

  it('BatchEncoder writes the same bytes through the arena as through its plain-buffer path', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ id: i % 7 === 0 ? `ü-${i}` : `id-${i}`, vector: Float32Array.from({ length: 9 }, (_, j) => i - j / 3), ...(i % 5 === 0 ? { metadata: { i } } : {}) }));
    const batch = checkBatch(items, 9);
    const version = Float64Array.from(items, (_, i) => i + 1);
    const created = Float64Array.from(items, (_, i) => 1000 + i);
    const encode = (encoder: BatchEncoder): Buffer => {
      const total = encoder.encode(batch, version, created, 2 ** 41 + 7, new Float64Array(items.length));
      return Buffer.from(encoder.bytes.subarray(0, total));
    };
    expect(encode(new BatchEncoder()).equals(encode(new BatchEncoder(0)))).toBe(true);
  });
});

/**
 * Two different ASCII ids with the same 32-bit index hash, found by hashing `c0`, `c1`, … until
 * two collided (the test checks that they do).
 */
function collidingIds(): [string, string] {
  return ['c693596', 'c1170850'];
}

describe('lookups of ids whose hashes collide', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('the hash is the index hash of the id bytes, and NOT_ASCII for other ids', () => {
    const [a, b] = collidingIds();
    expect(a).not.toBe(b);
    expect(asciiHash(a)).toBe(asciiHash(b));
    expect(asciiHash('ü')).toBe(NOT_ASCII);
    const index = new OffsetIndex();
    index.set(a, 64);
    expect(index.candidate(a)).toBe(64);
    expect(index.candidate(b)).toBe(64); // the candidate of b is a's record: the reader must check
    expect(index.get(b)).toBeUndefined();
    expect(index.candidate('never')).toBe(-1);
    expect(index.candidate('ü')).toBe(-2);
    index.delete(a);
    expect(index.candidate(a)).toBe(-2);
  });

  it('get, put, delete and duplicate checks tell colliding ids apart, with and without a cache', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const [a, b] = collidingIds();
    for (const cacheSize of [0, 100]) {
      const file = `${t.file}-${cacheSize}`;
      const vf = await VectorFile.open(file, { create: true, dimension: 2, durability: 'none', cacheSize });
      await vf.put(a, [1, 2]);
      expect(await vf.get(b)).toBeUndefined(); // b's candidate is a's record: not b's, and b is not there
      expect(await vf.has(b)).toBe(false);
      await vf.putBatch([{ id: b, vector: [3, 4] }]);
      expect(Array.from((await vf.get(a))!.vector)).toEqual([1, 2]);
      expect(Array.from((await vf.get(b))!.vector)).toEqual([3, 4]);
      await expect(vf.putBatch([{ id: a, vector: [5, 6] }, { id: b, vector: [7, 8] }])).resolves.toBeUndefined();
      expect((await vf.get(a))!.version).toBe(2);
      expect((await vf.get(b))!.version).toBe(2);
      await expect(vf.putBatch([{ id: a, vector: [1, 1] }, { id: b, vector: [1, 1] }, { id: a, vector: [1, 1] }])).rejects.toMatchObject({ code: 'EINVAL', field: 'items[2].id' });
      expect(await vf.delete(a)).toBe(true);
      expect(await vf.get(a)).toBeUndefined();
      expect(Array.from((await vf.get(b))!.vector)).toEqual([7, 8]);
      await vf.close();
      const again = await VectorFile.open(file, { readOnly: true, cacheSize });
      expect(await again.get(a)).toBeUndefined();
      expect(Array.from((await again.get(b))!.vector)).toEqual([7, 8]);
      await again.close();
    }
  });
});
