import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isStorageError, MAX_SEGMENT_BYTES, normalizeKey, parseKey, TEMP_PREFIX } from '../src/index.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return isStorageError(error) ? error.code : `not a StorageError: ${String(error)}`;
  }
}

describe('path rules', () => {
  test.each([
    ['a', ['a']],
    ['/a/b', ['a', 'b']],
    ['a/b/c.txt', ['a', 'b', 'c.txt']],
    ['.hidden/..dots/...', ['.hidden', '..dots', '...']],
    ['日本/😀', ['日本', '😀']],
  ])('%j parses to %j', (key, segments) => {
    expect(parseKey(key)).toEqual(segments);
  });

  test.each(['', '/', 'a//b', 'a/', '//a', '.', '..', 'a/./b', 'a/../b', 'a\0b', 'a\\b', `${TEMP_PREFIX}x`, 'x'.repeat(256), 'a\ud800b', 'a\udc00'])(
    '%j is rejected with EINVAL',
    (key) => {
      expect(codeOf(() => parseKey(key))).toBe('EINVAL');
    },
  );

  test('the empty key means the root only where allowed', () => {
    expect(parseKey('', { allowRoot: true })).toEqual([]);
    expect(parseKey('/', { allowRoot: true })).toEqual([]);
    expect(codeOf(() => parseKey('//', { allowRoot: true }))).toBe('EINVAL');
  });

  test('the segment limit counts UTF-8 bytes, not characters', () => {
    expect(parseKey('é'.repeat(127) + 'a')).toHaveLength(1); // 255 bytes
    expect(codeOf(() => parseKey('é'.repeat(128)))).toBe('EINVAL'); // 256 bytes
    expect(codeOf(() => parseKey('😀'.repeat(64)))).toBe('EINVAL'); // 256 bytes in 128 code units
    expect(parseKey('a'.repeat(MAX_SEGMENT_BYTES))).toHaveLength(1);
  });

  test('errors name the offending path', () => {
    expect(() => parseKey('a/../b')).toThrow(/path 'a\/\.\.\/b'/);
  });

  test('property: any string either parses to safe segments that re-join to it, or is EINVAL', () => {
    const piece = fc.oneof(fc.constantFrom('/', '.', '..', '\\', '\0', TEMP_PREFIX, 'a', 'é', '😀', '\ud800'), fc.string({ unit: 'grapheme', maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const key = pieces.join('');
        let segments: string[];
        try {
          segments = parseKey(key);
        } catch (error) {
          expect(isStorageError(error, 'EINVAL')).toBe(true);
          return;
        }
        expect(segments.join('/')).toBe(key.startsWith('/') ? key.slice(1) : key);
        expect(normalizeKey(key)).toBe(segments.join('/'));
        for (const s of segments) {
          expect(s).not.toBe('');
          expect(s).not.toBe('.');
          expect(s).not.toBe('..');
          expect(s).not.toMatch(/[\\\0/]/);
          expect(s.startsWith(TEMP_PREFIX)).toBe(false);
          expect(Buffer.byteLength(s)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
        }
      }),
      { numRuns: 5000, seed: 20261121 },
    );
  });
});
