import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cRange } from '@store/backend-core';
import { recordCrc, viewOf } from '../src/checksum.js';
import { WasmCrc, verifiedPrefix } from '../src/wasm-crc.js';

describe('CRC32C implementations agree with @node-rs/crc32', () => {
  it('JavaScript slicing-by-16 and WebAssembly slicing-by-8, any range, any seed', () => {
    const wasm = new WasmCrc(4096);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (bytes, a, b, seed) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const expected = crc32c(bytes.subarray(start, end), seed);
        expect(crc32cRange(bytes, start, end, seed)).toBe(expected);
        wasm.data.set(bytes.subarray(start, end));
        expect(wasm.crc(0, end - start, seed)).toBe(expected);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('sealRecords writes the record checksum; verifiedPrefix stops at the first bad byte', () => {
    const wasm = new WasmCrc(1 << 16);
    const buf = wasm.data;
    let length = 0;
    const starts: number[] = [];
    for (let id = 0; id < 300; id++) {
      const size = (id * 37) % 300;
      starts.push(length);
      buf.writeUInt32BE(0, length);
      buf.writeUInt32BE(id, length + 4);
      buf.writeUInt32BE(size, length + 8);
      for (let i = 0; i < size; i++) buf[length + 16 + i] = (id + i) & 0xff;
      length += 16 + size;
    }
    wasm.sealRecords(length);
    const copy = Uint8Array.from(buf.subarray(0, length));
    const view = viewOf(copy);
    for (const s of starts) expect(view.getUint32(s + 12)).toBe(recordCrc(copy, s, view.getUint32(s + 8)));
    expect(verifiedPrefix(copy, 0, length, 1 << 20)).toBe(length);
    expect(verifiedPrefix(copy, 0, length - 1, 1 << 20)).toBe(starts[starts.length - 1]); // incomplete last record
    const victim = starts[100]! + 5;
    copy[victim]! ^= 0x20;
    expect(verifiedPrefix(copy, 0, length, 1 << 20)).toBe(starts[100]);
  });
});
