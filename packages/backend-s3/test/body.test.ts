import { Readable } from 'node:stream';
import { isStorageError } from '@store/backend-core';
import fc from 'fast-check';
import { anyText } from './content.js';
import { describe, expect, it } from 'vitest';
import { readBody } from '../src/body.js';
import { decodeListedKey } from '../src/keys.js';

const concat = (chunks: Uint8Array[]): Buffer => Buffer.concat(chunks);

describe('readBody (the response-body reader), fuzzed', () => {
  it('returns exactly the bytes when the body matches its length, else EIO with the offset; never short or long bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        // The announced length: the true one, none (chunked), or an arbitrary (usually wrong) one.
        fc.oneof(fc.constant<'true'>('true'), fc.constant(undefined), fc.integer({ min: 0, max: 4000 })),
        fc.boolean(),
        async (chunks, announced, breakOff) => {
          const total = chunks.reduce((n, c) => n + c.length, 0);
          const length = announced === 'true' ? total : announced;
          const stream = Readable.from(
            (async function* () {
              for (const c of chunks) yield Buffer.from(c);
              if (breakOff) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
            })(),
          );
          const outcome = await readBody(stream, length, 'k').then(
            (data) => ({ data }),
            (error: unknown) => ({ error }),
          );
          if (breakOff) {
            expect('error' in outcome).toBe(true);
          } else if (length === undefined || length === total) {
            expect('data' in outcome && Buffer.from(outcome.data).equals(concat(chunks))).toBe(true);
            if ('data' in outcome) expect([outcome.data.byteOffset, outcome.data.buffer.byteLength]).toEqual([0, total]);
          } else {
            expect('error' in outcome && isStorageError(outcome.error, 'EIO')).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('treats a missing body as empty only when no bytes were announced', async () => {
    expect(await readBody(undefined, 0, 'k')).toEqual(new Uint8Array(0));
    await expect(readBody(undefined, 5, 'k')).rejects.toMatchObject({ code: 'EIO' });
  });
});

describe('decodeListedKey, fuzzed', () => {
  it('round-trips any encoded key (space as + or %20) and answers EIO for broken encodings', () => {
    fc.assert(
      fc.property(anyText(60), (key) => {
        const encoded = encodeURIComponent(key);
        return decodeListedKey(encoded) === key && decodeListedKey(encoded.replace(/%20/g, '+')) === key;
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (junk) => {
        try {
          return typeof decodeListedKey(junk) === 'string';
        } catch (error) {
          return isStorageError(error, 'EIO');
        }
      }),
    );
    expect(() => decodeListedKey('%E0%A4%A')).toThrow(/EIO/);
  });
});
