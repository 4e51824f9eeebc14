import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { crc32cTable } from '../src/crc32c.js';
import { crc32c, crc32cRange, maskCrc32c, maskedCrc32c, unmaskCrc32c } from '../src/index.js';

describe('CRC32C', () => {
  test('known vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe(0xc78ab0e5);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(maskedCrc32c(new Uint8Array(0))).toBe(0xa282ead8);
    // TFRecord: the masked CRC of the 8-byte little-endian length 24 is stored as a3 7f 4b 22.
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(24n);
    const stored = Buffer.alloc(4);
    stored.writeUInt32LE(maskedCrc32c(length));
    expect([...stored]).toEqual([0xa3, 0x7f, 0x4b, 0x22]);
  });

  test('accepts plain Uint8Arrays and subarray views', () => {
    const whole = new TextEncoder().encode('xx123456789yy');
    expect(crc32c(whole.subarray(2, 11))).toBe(0xe3069283);
  });

  test('property: incremental CRC equals the CRC of the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const at = bytes.length === 0 ? 0 : cut % (bytes.length + 1);
        expect(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at)))).toBe(crc32c(bytes));
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  test('property: unmask inverts mask', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (crc) => {
        expect(unmaskCrc32c(maskCrc32c(crc))).toBe(crc);
      }),
      { numRuns: 5000, seed: 7 },
    );
  });

  test('the table path equals the native one at every length across the switch, at any offset', () => {
    const data = new Uint8Array(1200 + 7).map((_, i) => (i * 2654435761) >>> 24);
    for (let length = 0; length <= 1200; length++) {
      const offset = length % 7;
      const native = nativeCrc32c(Buffer.from(data.buffer, offset, length), 0) >>> 0;
      expect(crc32cTable(data, offset, offset + length)).toBe(native);
      expect(crc32cRange(data, offset, offset + length)).toBe(native);
      expect(crc32c(data.subarray(offset, offset + length))).toBe(native);
    }
  });

  test('property: both paths agree for random bytes and initial values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 0xffffffff }), (bytes, initial) => {
        const native = nativeCrc32c(Buffer.from(bytes), initial) >>> 0;
        expect(crc32cTable(bytes, 0, bytes.length, initial)).toBe(native);
        expect(crc32c(bytes, initial)).toBe(native);
      }),
      { numRuns: 1000, seed: 99 },
    );
  });
});

describe('crc32cRange bounds', () => {
  test('a range outside the view is a RangeError, never the bytes next to it', () => {
    const backing = new Uint8Array(2000);
    const view = backing.subarray(100, 200);
    for (const [start, end] of [
      [0, 101],
      [-1, 10],
      [50, 40],
      [0, 1000],
      [99, 100.5],
    ] as const) {
      expect(() => crc32cRange(view, start, end)).toThrow(RangeError);
    }
    expect(crc32cRange(view, 0, 100)).toBe(crc32c(new Uint8Array(100)));
    expect(crc32cRange(view, 100, 100)).toBe(0);
  });
});
