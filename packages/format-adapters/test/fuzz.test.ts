import { isStorageError } from '@store/backend-core';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { json, xml, yaml, type FormatAdapter } from '../src/index.js';
import { valueArb } from './arbitraries.js';

/**
 * Readers face text from disk, the network and people. Whatever the text, deserialize
 * must return a value of the model (which then round-trips) or throw a StorageError
 * with ECORRUPT/EINVAL: never another exception, never a value it cannot write back.
 */
const RUNS = Number(process.env.FORMAT_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FORMAT_FUZZ_SEED ?? 4242);

/** Returns true when the text was accepted (and its value round-tripped). */
function valueOrStorageError(adapter: FormatAdapter, text: string): boolean {
  let value;
  try {
    value = adapter.deserialize(text);
  } catch (error) {
    if (isStorageError(error) && (error.code === 'ECORRUPT' || error.code === 'EINVAL')) return false;
    throw new Error(`${adapter.name} threw a non-StorageError for ${JSON.stringify(text.slice(0, 300))}: ${String(error)}`);
  }
  const again = adapter.deserialize(adapter.serialize(value));
  if (!isDeepStrictEqual(again, value)) throw new Error(`${adapter.name} accepted ${JSON.stringify(text.slice(0, 300))} but the value does not round-trip`);
  return true;
}

const TOKENS: Record<string, string[]> = {
  json: ['{', '}', '[', ']', ',', ':', '"', '"a"', '"$date"', '"$bytes"', '"$bigint"', '"$number"', '"$$x"', '"-0"', '1', '-0', '1e999', 'true', 'null', ' ', '\n', '\\', '\\u', '"2024-01-01T00:00:00.000Z"', '"AQI="'],
  xml: ['<value>', '</value>', '<value', '<item>', '</item>', '<a>', '</a>', '<entry key="k">', '</entry>', ' type="array"', ' type="object"', ' type="number"', ' type="date"', ' type="bytes"', ' key="', ' encoding="json"', ' key-encoding="json"', '"', '/>', '>', '<', '&amp;', '&#0;', '&#x41;', '&', ';', '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0"?>', '<!DOCTYPE', '<__proto__>', '<constructor>', '\n', '  ', 'x', '1', '\\u0000'],
  yaml: ['- ', ': ', '\n', '  ', '    ', '[', ']', '{', '}', ',', '&a ', '*a', '!date ', '!bigint ', '!bytes ', '!!binary ', '!!set ', '!!map ', '!foo ', '|', '|-', '>', '"', "'", '#', '---', '...', '? ', 'a', 'yes', '~', '.inf', '-0', '1', '<<: *a', '%YAML 1.2\n', '\t', '\\x', '__proto__: '],
};

describe.each([json, xml, yaml])('$name deserialize fuzz', (adapter) => {
  const tokens = TOKENS[adapter.name]!;

  it('random strings (any code units)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => void valueOrStorageError(adapter, s)), { numRuns: RUNS, seed: SEED });
  });

  it('random bytes decoded as UTF-8 and as Latin-1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        valueOrStorageError(adapter, Buffer.from(bytes).toString('utf8'));
        valueOrStorageError(adapter, Buffer.from(bytes).toString('latin1'));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('soups of the format\'s own tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 40 }), (parts) => void valueOrStorageError(adapter, parts.join(''))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('valid documents with random edits', () => {
    const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 8 }), insert: fc.oneof(fc.constantFrom(...tokens), fc.string({ unit: 'binary', maxLength: 3 })) });
    let accepted = 0;
    fc.assert(
      fc.property(valueArb, fc.array(edit, { minLength: 1, maxLength: 4 }), (value, edits) => {
        let text = adapter.serialize(value);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.del);
        }
        if (valueOrStorageError(adapter, text)) accepted++;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`${adapter.name}: ${accepted} of ${RUNS} edited documents were still accepted`);
    // Most edits break a document, but enough must survive for the round-trip half of the check to mean something.
    expect(accepted).toBeGreaterThan(RUNS / 100);
  });

  it('large pathological inputs finish (no super-linear blow-up)', () => {
    const big = 200_000;
    const inputs = [
      'x'.repeat(big),
      '<'.repeat(big),
      '&'.repeat(big),
      '"'.repeat(big),
      '['.repeat(big),
      '{"a":'.repeat(big / 5),
      '- '.repeat(big),
      `<value>${'&amp;'.repeat(big / 5)}</value>`,
      `<value>${' '.repeat(big)}</value>`,
      `<value${' a="1"'.repeat(big / 6)}/>`,
      `a: ${'#'.repeat(big)}`,
      `${'a: &a [*a]\n'.repeat(100)}`,
      `"${'\\u0041'.repeat(big / 6)}"`,
      '\n'.repeat(big),
      '[{'.repeat(big / 2),
      Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
    ];
    for (const text of inputs) valueOrStorageError(adapter, text);
  });
});

describe('hostile documents in a plain node process', () => {
  it('every adapter answers with a value or ECORRUPT/EINVAL, and the process survives', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const fixture = new URL('./fixtures/hostile.mjs', import.meta.url);
    const { stdout } = await promisify(execFile)(process.execPath, [fixture.pathname], { maxBuffer: 1 << 24 });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { adapter: string; input: string; outcome: string });
    expect(lines).toHaveLength(6 * 18);
    for (const line of lines) expect(['value', 'ECORRUPT', 'EINVAL'], `${line.adapter} ${line.input}`).toContain(line.outcome);
  }, 300_000);
});
