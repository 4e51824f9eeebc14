import fc from 'fast-check';
import type { Value } from '../src/index.js';

/** Strings that other types, YAML/XML syntax or our own tags could be mistaken for. */
export const NASTY_STRINGS = [
  '', ' ', '  ', '\t', '\n', '\r', '\r\n', '\n\n', ' lead', 'trail ', ' both ', 'a\nb', 'a\n', '\na', 'a\r\nb', 'line1\n  indented\n',
  '123', '-1', '0', '-0', '01', '1.5', '1e3', '1e+21', '0x1F', '0o17', '0b11', '.5', '+1', '1_000', '.inf', '-.inf', '.nan', 'NaN', 'Infinity',
  'true', 'false', 'True', 'FALSE', 'null', 'Null', 'NULL', '~', 'yes', 'no', 'Yes', 'NO', 'on', 'off', 'ON', 'y', 'n', 'Y', 'N',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2024-01-01T00:00:00.000Z', '12:30:45', '1:20',
  '#', '# comment', 'a #b', 'a# b', '-', '- x', '--', '---', '...', '? x', ':', ': x', 'a: b', 'a:b', '{', '}', '[', ']', '{}', '[]', ',',
  '!', '!tag x', '!!str', '&anchor', '*alias', '%YAML', '@', '`', '|', '>', '|-', "'", '"', "''", '""', '\\', '\\n', '\\u0041',
  '<', '>', '&', '&amp;', '&lt;', '&#13;', '&#0;', '&foo;', ']]>', '<![CDATA[x]]>', '<!-- c -->', '<a>', '</value>', '<?xml?>', '<!DOCTYPE x>',
  '\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff',
  '\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '😀', 'é', 'e\u0301', '日本語', 'ﷺ',
  '$date', '$bigint', '$bytes', '$number', '$$date', '$', '$$', 'item', 'entry', 'value', 'type', 'key', 'encoding', 'xml', 'xmlns', 'xml:lang', 'a:b',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
];

const denseUnit = fc.constantFrom(' ', ' ', '\n', '\t', '\r', 'a', '1', '#', ':', '-', '<', '>', '&', ';', '"', "'", '\\', '$', '\u0000', '\u0085', '\ud800', 'é');
const dense = fc.string({ unit: denseUnit, maxLength: 12 });
/** Longer multi-line text with runs of blanks: exercises block and folded-quote layouts. */
const paragraph = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ' ', '\n', '\n', '\t', '-', '#', ':', '\\', '"'), maxLength: 120 });
const spaces = fc.constantFrom('', '', '', ' ', '  ', '\n', '\t', ' \n');

export const stringArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 16 }), // any code units, lone surrogates included
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  dense,
  paragraph,
  fc.tuple(spaces, fc.constantFrom(...NASTY_STRINGS), spaces).map(([a, b, c]) => a + b + c),
);

export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'name', 'id', 'x-y', 'first name', '', '0', '1', '10', '__proto__') },
  { weight: 3, arbitrary: stringArb },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

export const numberArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, -(2 ** 64), 1.7976931348623157e308),
);

export const dateArb: fc.Arbitrary<Date> = fc.oneof(
  fc.date({ noInvalidDate: true }),
  fc.constantFrom(new Date(0), new Date(-8.64e15), new Date(8.64e15), new Date(Date.UTC(0, 0, 1) - 1), new Date(-1)),
);

export const leafArb: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: stringArb },
  { weight: 2, arbitrary: numberArb },
  { weight: 1, arbitrary: fc.constantFrom<Value>(null, true, false) },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: dateArb },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }) },
);

/** Every value the data model allows, nasty corners weighted up. */
export const valueArb: fc.Arbitrary<Value> = fc.letrec<{ value: Value; array: Value[]; object: Record<string, Value> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(keyArb, tie('value'), { maxKeys: 5, noNullPrototype: true }),
})).value;
