import { crc32c, crc32cRange, maskCrc32c, maskedCrc32c } from '@store/backend-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskedLengthCrc } from '../src/crc.js';
import { EventType } from '../src/proto/index.js';
import { RECORD_BAD_DATA, RECORD_BAD_LENGTH, RECORD_INCOMPLETE, RECORD_OK, encodeRecord, parseRecord } from '../src/record.js';
import { SCALAR_METADATA_FIELDS, scalarRecordSize, writeScalarRecord } from '../src/scalar-codec.js';

const span = () => ({ payloadStart: 0, payloadEnd: 0, next: 0, needed: 0 });

describe('CRC32C and TFRecord framing', () => {
  it('matches the known vectors', () => {
    const digits = Buffer.from('123456789');
    expect(crc32c(digits)).toBe(0xe3069283);
    expect(crc32cRange(digits, 0, 9)).toBe(0xe3069283);
    expect(maskCrc32c(0xe3069283)).toBe(0xc78ab0e5);
    expect(maskedCrc32c(new Uint8Array(0))).toBe(0xa282ead8);
    expect(maskCrc32c(crc32cRange(new Uint8Array(0), 0, 0))).toBe(0xa282ead8);
    const crcBytes = Buffer.alloc(4);
    crcBytes.writeUInt32LE(maskedLengthCrc(24));
    expect([...crcBytes]).toEqual([0xa3, 0x7f, 0x4b, 0x22]);
    // The same bytes in a framed 24-byte payload (a file_version event is 24 bytes long).
    expect([...encodeRecord(new Uint8Array(24)).subarray(8, 12)]).toEqual([0xa3, 0x7f, 0x4b, 0x22]);
  });

  it('a CRC over a range equals the CRC of the same bytes copied out, at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(7), (bytes, skip) => {
        const start = Math.min(skip, bytes.length);
        const expected = crc32c(bytes.subarray(start));
        expect(crc32cRange(Buffer.concat([Buffer.alloc(3), bytes]), start + 3, bytes.length + 3)).toBe(expected);
        expect(crc32cRange(bytes, start, bytes.length)).toBe(expected);
      }),
      { seed: 4, numRuns: 500 },
    );
  });

  it('parses what it frames and classifies damage', () => {
    const payload = Buffer.from('some payload bytes');
    const rec = encodeRecord(payload);
    const s = span();
    expect(parseRecord(rec, 0, rec.length, s)).toBe(RECORD_OK);
    expect(rec.subarray(s.payloadStart, s.payloadEnd).toString()).toBe('some payload bytes');
    for (let cut = 0; cut < rec.length; cut++) expect(parseRecord(rec, 0, cut, span())).toBe(RECORD_INCOMPLETE);
    const badLength = Buffer.from(rec);
    badLength[0]! ^= 1;
    expect(parseRecord(badLength, 0, badLength.length, span())).toBe(RECORD_BAD_LENGTH);
    const badData = Buffer.from(rec);
    badData[14]! ^= 0x40;
    expect(parseRecord(badData, 0, badData.length, span())).toBe(RECORD_BAD_DATA);
  });
});

describe('hand-written scalar encoding', () => {
  it('is byte-identical to protobufjs reflection', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: 'binary' }),
        fc.double(),
        fc.oneof(fc.constant(0), fc.integer(), fc.maxSafeInteger(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 })),
        fc.double({ noNaN: true }),
        fc.boolean(),
        (tag, value, step, wallTime, withMetadata) => {
          const tagBytes = Buffer.from(tag, 'utf8');
          const size = scalarRecordSize(tagBytes.length, step, withMetadata, wallTime);
          const buf = Buffer.alloc(size + 8);
          const end = writeScalarRecord(buf, 3, tagBytes, value, step, wallTime, withMetadata);
          expect(end - 3).toBe(size);
          const expected = EventType.encode(
            EventType.fromObject({
              wallTime,
              ...(step !== 0 ? { step } : {}),
              summary: { value: [{ tag, simpleValue: value, ...(withMetadata ? { metadata: SCALAR_METADATA_FIELDS } : {}) }] },
            }),
          ).finish();
          expect(Buffer.from(buf.subarray(3 + 12, end - 4)).equals(Buffer.from(expected))).toBe(true);
          expect(buf.subarray(3, end).equals(encodeRecord(expected))).toBe(true);
        },
      ),
      { seed: 7, numRuns: 1000 },
    );
  });
});
