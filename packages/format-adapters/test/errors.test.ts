import { isStorageError, type StorageErrorCode } from '@store/backend-core';
import { describe, expect, it } from 'vitest';
import { FormatError, JsonAdapter, XmlAdapter, YamlAdapter, json, xml, yaml, type FormatAdapter, type Value } from '../src/index.js';

/** Runs `fn`, asserts it throws a StorageError with `code`, returns the error for more checks. */
function expectError(fn: () => unknown, code: StorageErrorCode): FormatError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a throw').toBeDefined();
  if (!isStorageError(thrown)) throw new Error(`expected a StorageError, got ${String(thrown)}`);
  expect(thrown.code, thrown.message).toBe(code);
  return thrown as FormatError;
}

const adapters: FormatAdapter[] = [json, xml, yaml];

class Pet {
  constructor(readonly name: string) {}
}

describe.each(adapters)('$name serialize rejects values outside the model with EINVAL and the JSON path', (adapter) => {
  const at = (bad: unknown): Value => ({ owner: { pets: ['a', 'b', bad] } }) as unknown as Value;
  const cases: [string, unknown][] = [
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a class instance', new Pet('Tom')],
    ['a Map', new Map([[1, 2]])],
    ['a Set', new Set([1])],
    ['a RegExp', /x/],
    ['an Error', new Error('x')],
    ['a Float32Array', new Float32Array(2)],
    ['a boxed string', new String('x')],
    ['an invalid Date', new Date(Number.NaN)],
    ['a Date subclass', new (class D extends Date {})(0)],
    ['an Array subclass', new (class A extends Array {})()],
  ];
  it.each(cases)('%s', (_label, bad) => {
    const error = expectError(() => adapter.serialize(at(bad)), 'EINVAL');
    expect(error.field).toBe('$.owner.pets[2]');
  });

  it('a hole in a sparse array', () => {
    const sparse: Value[] = [1];
    sparse[2] = 3;
    expect(expectError(() => adapter.serialize({ list: sparse }), 'EINVAL').field).toBe('$.list[1]');
  });

  it('an array with a named property', () => {
    const arr = Object.assign([1], { extra: 2 });
    expect(expectError(() => adapter.serialize({ arr }), 'EINVAL').field).toBe('$.arr.extra');
  });

  it('symbol keys', () => {
    expect(expectError(() => adapter.serialize({ o: { [Symbol('k')]: 1 } as Value }), 'EINVAL').field).toBe('$.o');
  });

  it('quotes keys that are not identifiers in the path', () => {
    expect(expectError(() => adapter.serialize({ 'first name': { '0': [Number.NaN] } }), 'EINVAL').field).toBe('$["first name"]["0"][0]');
  });

  it('a direct self-reference, with the cycle in the message', () => {
    const a: Record<string, Value> = { x: 1 };
    a.self = a;
    const error = expectError(() => adapter.serialize(a), 'EINVAL');
    expect(error.field).toBe('$.self');
    expect(error.message).toMatch(/circular.*ancestor \$/);
  });

  it('a deeper cycle through an array', () => {
    const inner: Record<string, Value> = {};
    const root = { a: { b: [inner] } };
    inner.back = root.a;
    const error = expectError(() => adapter.serialize(root), 'EINVAL');
    expect(error.field).toBe('$.a.b[0].back');
    expect(error.message).toContain('ancestor $.a');
  });

  it('nesting deeper than maxDepth', () => {
    const limited = new (adapter.constructor as new (l: { maxDepth: number }) => FormatAdapter)({ maxDepth: 3 });
    expect(limited.serialize([[[1]]])).toBeTypeOf('string');
    expect(expectError(() => limited.serialize([[[[1]]]]), 'EINVAL').field).toBe('$[0][0][0]');
  });

  it('bad limits', () => {
    const Ctor = adapter.constructor as new (l: { maxDepth?: number; maxInputLength?: number }) => FormatAdapter;
    expectError(() => new Ctor({ maxDepth: 0 }), 'EINVAL');
    expectError(() => new Ctor({ maxDepth: 501 }), 'EINVAL');
    expectError(() => new Ctor({ maxDepth: 1.5 }), 'EINVAL');
    expectError(() => new Ctor({ maxInputLength: -1 }), 'EINVAL');
  });

  it('ignores one leading byte order mark', () => {
    expect(adapter.deserialize(`\ufeff${adapter.serialize({ a: ['\ufeff'] })}`)).toEqual({ a: ['\ufeff'] });
  });

  it('input over maxInputLength, and a non-string', () => {
    const Ctor = adapter.constructor as new (l: { maxInputLength: number }) => FormatAdapter;
    const small = new Ctor({ maxInputLength: 50 });
    const text = adapter.serialize({ s: 'x'.repeat(100) });
    expect(expectError(() => small.deserialize(text), 'EINVAL').message).toMatch(/maxInputLength/);
    expectError(() => adapter.deserialize('x'.repeat(16 * 1024 * 1024 + 1)), 'EINVAL');
    expectError(() => adapter.deserialize(Buffer.from('{}') as unknown as string), 'EINVAL');
  });

  it('nesting at the ceiling (500) round-trips', () => {
    const Ctor = adapter.constructor as new (l: { maxDepth: number }) => FormatAdapter;
    let deep: Value = 'bottom';
    for (let i = 0; i < 500; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    const max = new Ctor({ maxDepth: 500 });
    expect(max.deserialize(max.serialize(deep))).toEqual(deep);
  });

  it('deep input over maxDepth (the parser is never asked to recurse without bound)', () => {
    const deepText = adapter === json ? `${'['.repeat(100_000)}${']'.repeat(100_000)}` : adapter === xml ? deepXml(100_000) : `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expectError(() => adapter.deserialize(deepText), 'EINVAL');
  });
});

function deepXml(depth: number): string {
  return `<value type="array">${'<item type="array">'.repeat(depth)}${'</item>'.repeat(depth)}</value>`;
}

describe('JSON deserialize errors', () => {
  it.each([
    ['{"a": }', 1, 7],
    ['{\n  "a": 1,\n  "b": tru\n}', 3, 8],
    ['[1, 2', 1, 6],
    ['{"a": 1,}', 1, 9],
    ['{"a" 1}', 1, 6],
    ['"\\x"', 1, 2],
    ['"a\tb"', 1, 3],
    ['', 1, 1],
    ['{} {}', 1, 4],
    ['01', 1, 2],
  ])('%j is ECORRUPT at line %i, column %i', (text, line, column) => {
    const error = expectError(() => json.deserialize(text), 'ECORRUPT');
    expect({ line: error.line, column: error.column }).toEqual({ line, column });
    expect(error.message).toContain(`line ${line}, column ${column}`);
  });

  it.each([
    ['{"x": {"$foo": 1}}', '$.x.$foo', /unknown tag/],
    ['{"$date": "2024-13-01T00:00:00.000Z"}', '$.$date', /ISO/],
    ['{"$date": "2024-01-01"}', '$.$date', /ISO/],
    ['{"$date": 5}', '$.$date', /ISO/],
    ['{"$bigint": "1.5"}', '$.$bigint', /integer/],
    ['{"$bigint": "007"}', '$.$bigint', /integer/],
    ['{"$bytes": "not base64!"}', '$.$bytes', /base64/],
    ['{"$bytes": "AQI"}', '$.$bytes', /base64/],
    ['{"$number": "5"}', '$.$number', /-0/],
    ['[1e999]', '$[0]', /range/],
  ])('%j is ECORRUPT at %s', (text, field, message) => {
    const error = expectError(() => json.deserialize(text), 'ECORRUPT');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('reads hand-written JSON: `$` keys in multi-key objects are literal', () => {
    expect(json.deserialize('{"$schema": "x", "$ref": "#/a"}')).toEqual({ $schema: 'x', $ref: '#/a' });
    expect(json.deserialize('{"$$ref": "#/a"}')).toEqual({ $ref: '#/a' });
  });

  it('depth limit on read', () => {
    const limited = new JsonAdapter({ maxDepth: 2 });
    expect(limited.deserialize('[[1]]')).toEqual([[1]]);
    expect(expectError(() => limited.deserialize('[[[1]]]'), 'EINVAL').field).toBe('$[0][0]');
  });
});

describe('XML deserialize errors', () => {
  it.each([
    ['<value><a>1</b></value>', 1, 12],
    ['<?xml version="1.0"?>\n<value>\n  <a>1</a>\n', 2, 1],
    ['<value a="1" a="2"/>', 1, 14],
    ['not xml', 1, 1],
  ])('%j is ECORRUPT at line %i, column %i', (text, line, column) => {
    const error = expectError(() => xml.deserialize(text), 'ECORRUPT');
    expect({ line: error.line, column: error.column }).toEqual({ line, column });
  });

  it.each([
    ['', /Start tag expected|exactly one <value>/],
    ['<other/>', /exactly one <value>/],
    ['<value/><value/>', /./],
    ['<value type="number">abc</value>', /invalid number/],
    ['<value type="number">1e999</value>', /invalid number/],
    ['<value type="boolean">yes</value>', /invalid boolean/],
    ['<value type="null">x</value>', /invalid null/],
    ['<value type="date">2024-01-01</value>', /invalid date/],
    ['<value type="bigint">1.5</value>', /invalid bigint/],
    ['<value type="bytes">***</value>', /invalid bytes/],
    ['<value type="float">1</value>', /unknown type/],
    ['<value key="k">1</value>', /root has no key/],
    ['<value color="red">x</value>', /unexpected attribute/],
    ['<value type="array"><x>1</x></value>', /array items/],
    ['<value type="array"><item key="k">1</item></value>', /array items/],
    ['<value type="array">text<item>1</item></value>', /text inside/],
    ['<value>text<a>1</a></value>', /text inside/],
    ['<value type="number"><a>1</a></value>', /child elements/],
    ['<value><a>1</a><a>2</a></value>', /duplicate key/],
    ['<value><entry key="a">1</entry><a>2</a></value>', /duplicate key/],
    ['<value>&foo;</value>', /entity/],
    ['<value>&#0;</value>', /not an XML character/],
    ['<value>&#x110000;</value>', /not an XML character/],
    ['<value encoding="base64">x</value>', /encoding/],
    ['<value encoding="json">\\x</value>', /JSON string body/],
    ['<value><entry key="a" key-encoding="rot13">1</entry></value>', /key-encoding/],
    ['<value><a key-encoding="json">1</a></value>', /key-encoding without key/],
    ['<value><__proto__>1</__proto__></value>', /./],
    ['<value><constructor>1</constructor></value>', /./],
    ['<value><toString>1</toString></value>', /not accepted/],
  ])('%j is ECORRUPT (%s)', (text, message) => {
    expect(expectError(() => xml.deserialize(text), 'ECORRUPT').message).toMatch(message);
  });

  it('names the path of a bad value', () => {
    const error = expectError(() => xml.deserialize('<value><owner><pets type="array"><item/><item/><item type="number">x</item></pets></owner></value>'), 'ECORRUPT');
    expect(error.field).toBe('$.owner.pets[2]');
  });

  it('refuses DOCTYPE, so entity expansion (billion laughs) cannot happen', () => {
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n${Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('\n')}\n]>\n<value>&lol9;</value>\n`;
    const error = expectError(() => xml.deserialize(laughs), 'EINVAL');
    expect(error.message).toMatch(/DOCTYPE/);
    expect(error.line).toBe(2);
    const external = '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]><value>&x;</value>';
    expectError(() => xml.deserialize(external), 'EINVAL');
  });

  it('accepts hand-written forms: CRLF, comments, CDATA, char refs, explicit string and object types', () => {
    const text = '<?xml version="1.0"?>\r\n<!-- note -->\r\n<value type="object">\r\n  <a type="string"><![CDATA[<x> & y]]></a>\r\n  <b>caf&#233; &#x1F600;</b>\r\n  <n type="number"> 42 </n>\r\n</value>\r\n';
    expect(xml.deserialize(text)).toEqual({ a: '<x> & y', b: 'café 😀', n: 42 });
  });

  it('depth limit on read', () => {
    const limited = new XmlAdapter({ maxDepth: 2 });
    expect(limited.deserialize('<value type="array"><item type="array"/></value>')).toEqual([[]]);
    expectError(() => limited.deserialize('<value type="array"><item type="array"><item type="array"/></item></value>'), 'EINVAL');
  });
});

describe('YAML deserialize errors', () => {
  it.each([
    ['a: [1, 2\n', 2, 1],
    ['a: 1\nb: 2\na: 3\n', 3, 1],
    ['a:\n  - 1\n - 2\n', 3, 1],
    ['"unterminated\n', 2, 1],
    ['a: 1\n---\nb: 2\n', 2, 1],
  ])('%j is ECORRUPT at line %i, column %i', (text, line, column) => {
    const error = expectError(() => yaml.deserialize(text), 'ECORRUPT');
    expect({ line: error.line, column: error.column }).toEqual({ line, column });
  });

  it.each([
    ['a: !foo x\n', /tag/i],
    ['a: !date 2024-01-01\n', /ISO/],
    ['a: !bigint 1.5\n', /integer/],
    ['a: !bytes "***"\n', /base64/],
  ])('%j is ECORRUPT (%s)', (text, message) => {
    expect(expectError(() => yaml.deserialize(text), 'ECORRUPT').message).toMatch(message);
  });

  it.each([
    ['a: [1, .inf]\n', '$.a[1]'],
    ['a: .nan\n', '$.a'],
    ['s: !!set { a, b }\n', '$.s'],
    ['a: &x [*x]\n', '$.a[0]'],
  ])('%j is outside the model: ECORRUPT at %s', (text, field) => {
    expect(expectError(() => yaml.deserialize(text), 'ECORRUPT').field).toBe(field);
  });

  it('limits alias expansion (billion laughs)', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expectError(() => yaml.deserialize(`${lines.join('\n')}\n`), 'ECORRUPT');
  });

  it('accepts hand-written YAML: comments, flow style, anchors, !!binary as Uint8Array', () => {
    const back = yaml.deserialize('# config\nbase: &b {x: 1}\ncopy: *b\nraw: !!binary aGk=\nlist: [a, "b"]\n') as Record<string, Value>;
    expect(back).toEqual({ base: { x: 1 }, copy: { x: 1 }, raw: new Uint8Array([104, 105]), list: ['a', 'b'] });
    expect(Object.getPrototypeOf(back.raw)).toBe(Uint8Array.prototype);
    expect(yaml.deserialize('')).toBeNull();
  });

  it('depth limit on read', () => {
    const limited = new YamlAdapter({ maxDepth: 2 });
    expect(limited.deserialize('[[1]]')).toEqual([[1]]);
    const error = expectError(() => limited.deserialize('a:\n  - [[1]]\n'), 'EINVAL');
    expect({ line: error.line, column: error.column }).toEqual({ line: 2, column: 5 });
  });
});
