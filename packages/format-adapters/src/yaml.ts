import { Composer, CST, Document, isAlias, isNode, isScalar, Parser, Scalar, visit, YAMLParseError, type ScalarTag, type Tags } from 'yaml';
import type { FormatAdapter } from './adapter.js';
import { checkValue } from './check.js';
import { corrupt, FormatError, lineColumnAt } from './errors.js';
import { checkInput, checkOutput, resolveLimits, type Limits, type ResolvedLimits } from './limits.js';
import { formatPath, type PathSegment } from './path.js';
import { formatBytes, formatDate, parseBigInt, parseBytes, parseDate } from './scalars.js';
import { describe, isPlainObject, setOwn, type Value } from './value.js';

/**
 * YAML 1.2 (core schema) through the `yaml` package. yamljs, the originally chosen
 * library, cannot round-trip the data model; see the README for the counterexamples.
 *
 * Types YAML lacks are local tags whose text is the same canonical form as everywhere
 * else: `!date 2024-05-01T12:00:00.000Z`, `!bigint 123`, `!bytes aGk=`. Negative zero
 * is plain `-0`. The library quotes any string that would otherwise resolve to another
 * type, under YAML 1.2 and (via `compat`) YAML 1.1 too, so `"yes"`, `"on"` and
 * `"2001-12-14"` stay strings even for older readers.
 */
export const YAML_TAGS = { date: '!date', bigint: '!bigint', bytes: '!bytes' } as const;

const bad = (what: string, onError: (message: string) => void, text: string): undefined => {
  onError(`${what} expected, got ${JSON.stringify(text.slice(0, 60))}`);
  return undefined;
};

const OWN_TAGS: ScalarTag[] = [
  {
    tag: YAML_TAGS.date,
    identify: (v) => v instanceof Date,
    resolve: (text, onError) => parseDate(text) ?? bad('an ISO 8601 UTC timestamp like 2024-05-01T12:00:00.000Z', onError, text),
    stringify: (item) => formatDate(item.value as Date),
  },
  {
    tag: YAML_TAGS.bigint,
    identify: (v) => typeof v === 'bigint',
    resolve: (text, onError) => parseBigInt(text) ?? bad('a decimal integer', onError, text),
    stringify: (item) => String(item.value as bigint),
  },
  {
    tag: YAML_TAGS.bytes,
    identify: (v) => v instanceof Uint8Array,
    resolve: (text, onError) => parseBytes(text) ?? bad('canonical base64', onError, text),
    stringify: (item) => formatBytes(item.value as Uint8Array),
  },
];

/** Ours first, so a bigint is not claimed by the core schema's integer tag. */
const CUSTOM_TAGS = (tags: Tags): Tags => [...OWN_TAGS, ...tags];

/** Controls, line/paragraph separators, BOM, non-characters, lone surrogates: written as escapes. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NEEDS_ESCAPES = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Multi-line text that reads well as a `|` block: every line starts and ends with a
 * visible character, and nothing else needs escaping. Everything else multi-line is
 * double-quoted, where each character is explicit.
 */
function isBlockSafe(s: string): boolean {
  if (!s.includes('\n')) return false;
  const lines = (s.endsWith('\n') ? s.slice(0, -1) : s).split('\n');
  return lines.every((line) => line !== '' && !/^\s|\s$/.test(line) && !NEEDS_ESCAPES.test(line));
}

export class YamlAdapter implements FormatAdapter {
  readonly name = 'yaml';
  readonly extension = 'yaml';
  readonly aliases = ['yml'] as const;
  readonly mediaType = 'application/yaml';
  readonly #limits: ResolvedLimits;

  constructor(limits: Limits = {}) {
    this.#limits = resolveLimits(limits);
  }

  serialize(value: Value): string {
    checkValue(value, this.#limits.maxDepth);
    const doc = new Document(value, {
      customTags: CUSTOM_TAGS,
      compat: 'yaml-1.1', // also quote what a YAML 1.1 reader would take for a bool or date
      aliasDuplicateObjects: false, // shared references are written out, never as anchors
      keepUndefined: false,
    });
    // The library picks plain vs quoted well for one-line strings, but not for every
    // multi-line or control-character string (" \n" came back as "\n"), so those styles are ours.
    visit(doc, {
      Scalar(_, node) {
        if (typeof node.value !== 'string') return;
        if (isBlockSafe(node.value)) node.type = Scalar.BLOCK_LITERAL;
        else if (NEEDS_ESCAPES.test(node.value)) node.type = Scalar.QUOTE_DOUBLE;
      },
    });
    const text = doc.toString({
      indent: 2,
      indentSeq: true,
      lineWidth: 0, // never fold long lines: a one-field change stays a one-line diff
      minContentWidth: 0,
      // Double-quoted strings as one JSON-style line: the library's multi-line form of a
      // quoted string with blank lines and escaped spaces ("\n \n…") did not read back.
      doubleQuotedAsJSON: true,
    });
    return checkOutput(text, this.#limits, 'YAML');
  }

  deserialize(text: string): Value {
    checkInput(text, this.#limits, 'YAML');
    const doc = parseYaml(text, this.#limits.maxDepth);
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) {
      const offset = problem.pos[0];
      const code = /call stack/i.test(problem.message) ? 'EINVAL' : 'ECORRUPT';
      const message = code === 'EINVAL' ? `YAML nesting too deep (${problem.message})` : `malformed YAML: ${problem.message}`;
      throw new FormatError(code, message, { offset, ...lineColumnAt(text, offset), cause: problem });
    }
    checkKeys(doc, text);
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      throw corrupt('YAML', error instanceof Error ? error.message : String(error), { cause: error });
    }
    return normalize(js, [], [], this.#limits.maxDepth);
  }
}

/**
 * `parseDocument`, split in two so the nesting depth is checked on the token tree (built
 * without recursion) before the composer recurses into it: hostile input like 200,000
 * `[` once overflowed the stack inside V8's regexp compiler, which kills the process
 * instead of throwing.
 */
function parseYaml(text: string, maxDepth: number): Document.Parsed {
  const tokens = [...new Parser().parse(text)];
  const deepAt = tooDeepAt(tokens, maxDepth);
  if (deepAt !== undefined) {
    throw new FormatError('EINVAL', `YAML nesting deeper than maxDepth ${maxDepth}`, { offset: deepAt, ...lineColumnAt(text, deepAt) });
  }
  const composer = new Composer({ customTags: CUSTOM_TAGS, schema: 'core', uniqueKeys: true, strict: true });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, text.length)) {
    if (doc === undefined) {
      doc = next;
    } else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'a file holds one YAML document, found a second'));
      break;
    }
  }
  return doc!;
}

/** Offset of the first collection nested deeper than `maxDepth`, walking the CST iteratively. */
function tooDeepAt(tokens: CST.Token[], maxDepth: number): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    switch (token.type) {
      case 'document':
        if (token.value !== undefined) stack.push([token.value, depth]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (depth + 1 > maxDepth) return token.offset;
        for (const item of token.items) {
          if ('key' in item && item.key) stack.push([item.key, depth + 1]);
          if (item.value) stack.push([item.value, depth + 1]);
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}

/**
 * Object keys are strings in the data model, so a mapping's keys are checked as the strings
 * they become: `1: a` and `"1": b` are distinct YAML nodes (the parser's own uniqueness
 * check passes them) but the same key `"1"`, and converting would keep only `b`. Keys that
 * are not plain scalars (`? [a]`, `!date …`, `!bytes …`) have no faithful string form and
 * would be stringified with a process warning; both are ECORRUPT here, at the key.
 */
function checkKeys(doc: Document.Parsed, text: string): void {
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        let key: unknown = pair.key;
        if (isAlias(key)) key = key.resolve(doc);
        const at = (isNode(pair.key) ? pair.key.range?.[0] : undefined) ?? map.range?.[0] ?? 0;
        const fail = (message: string): never => {
          throw new FormatError('ECORRUPT', `malformed YAML: ${message}`, { offset: at, ...lineColumnAt(text, at) });
        };
        if (key !== null && !isScalar(key)) fail('a mapping key must be a scalar (a string, number, boolean or null), not a collection');
        const value: unknown = key === null ? null : (key as Scalar).value;
        if (value !== null && typeof value === 'object') fail(`a mapping key must be a plain scalar, not ${(key as Scalar).tag ?? 'a tagged value'}`);
        // The string a key becomes in a JavaScript object; the same rule the library applies.
        const name = value === null || value === undefined ? '' : String(value);
        if (seen.has(name)) fail(`duplicate key ${JSON.stringify(name)} (keys are compared as the strings they become)`);
        seen.add(name);
      }
    },
  });
}

/**
 * Checks that the parsed document is inside the data model (hand-written YAML may hold
 * `.inf`, `!!set`, alias cycles…) and turns `!!binary` Buffers into plain Uint8Arrays.
 */
function normalize(value: unknown, segments: PathSegment[], ancestors: object[], maxDepth: number): Value {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'number' && !Number.isFinite(value)) throw corrupt('YAML', `non-finite number ${describe(value)}`, { segments });
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return value;
    throw corrupt('YAML', `unsupported ${typeof value} value`, { segments });
  }
  if (value instanceof Date) return value;
  if (value instanceof Uint8Array) return Object.getPrototypeOf(value) === Uint8Array.prototype ? value : new Uint8Array(value);
  if (ancestors.includes(value)) throw corrupt('YAML', 'alias creates a circular reference', { segments });
  if (ancestors.length >= maxDepth) throw new FormatError('EINVAL', `YAML nesting deeper than maxDepth ${maxDepth}`, { field: formatPath(segments) });
  ancestors.push(value);
  let result: Value;
  if (Array.isArray(value)) {
    let out: Value[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      segments.push(i);
      const norm = normalize(item, segments, ancestors, maxDepth);
      segments.pop();
      if (norm !== item && out === undefined) out = value.slice(0, i) as Value[];
      out?.push(norm);
    }
    result = out ?? (value as Value[]);
  } else if (isPlainObject(value)) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    let out: Record<string, Value> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const item = obj[key];
      segments.push(key);
      const norm = normalize(item, segments, ancestors, maxDepth);
      segments.pop();
      if (norm !== item && out === undefined) {
        out = {};
        for (let j = 0; j < i; j++) setOwn(out, keys[j]!, obj[keys[j]!]);
      }
      if (out !== undefined) setOwn(out, key, norm);
    }
    result = (out ?? obj) as Value;
  } else {
    throw corrupt('YAML', `${describe(value)} is outside the data model`, { segments });
  }
  ancestors.pop();
  return result;
}
