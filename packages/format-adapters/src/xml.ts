import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FormatAdapter } from './adapter.js';
import { checkValue } from './check.js';
import { corrupt, FormatError, lineColumnAt } from './errors.js';
import { checkInput, checkOutput, resolveLimits, type Limits, type ResolvedLimits } from './limits.js';
import { formatPath, type PathSegment } from './path.js';
import { formatBytes, formatDate, formatNumber, parseBigInt, parseBytes, parseDate, parseNumber } from './scalars.js';
import { setOwn, type Value } from './value.js';

/**
 * On-disk XML layout (documented byte for byte in the README):
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <value>                         root element, always named "value"
 *     <name>Ann</name>              object key that is a safe XML name → element name
 *     <entry key="first name">…     any other key → <entry key="…">
 *     <age type="number">42</age>   every non-string scalar carries a type
 *     <tags type="array">           array items are <item> elements
 *       <item>a</item>
 *     </tags>
 *   </value>
 *
 * No `type` means: an object if the element has child elements, else a string. Strings
 * holding characters XML 1.0 cannot carry (most C0 controls, lone surrogates, U+FFFE/F)
 * are written as the body of a JSON string literal with `encoding="json"`; keys likewise
 * with `key-encoding="json"`.
 */
export const XML_ROOT = 'value';
export const XML_ITEM = 'item';
export const XML_ENTRY = 'entry';
const TYPES = ['string', 'number', 'boolean', 'null', 'object', 'array', 'date', 'bigint', 'bytes'] as const;
type XmlType = (typeof TYPES)[number];
const ATTRIBUTES = new Set(['type', 'key', 'encoding', 'key-encoding']);

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Characters XML 1.0 cannot represent at all, not even as character references. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/** Names fast-xml-parser refuses or renames (prototype-pollution guards), and Object.prototype members. */
const RESERVED_NAMES = new Set(['prototype', '__proto__', ...Object.getOwnPropertyNames(Object.prototype)]);

export class XmlAdapter implements FormatAdapter {
  readonly name = 'xml';
  readonly extension = 'xml';
  readonly mediaType = 'application/xml';
  readonly #limits: ResolvedLimits;
  readonly #parser: XMLParser;

  constructor(limits: Limits = {}) {
    this.#limits = resolveLimits(limits);
    this.#parser = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      allowBooleanAttributes: false,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      processEntities: false, // we decode the five predefined entities and char refs ourselves; no DTD entities, ever
      htmlEntities: false,
      ignoreDeclaration: true,
      ignorePiTags: true,
      cdataPropName: '#cdata',
      maxNestedTags: this.#limits.maxDepth + 1,
      onDangerousProperty: (name: string) => {
        throw new Error(`element or attribute name "${name}" is not accepted`);
      },
    });
  }

  serialize(value: Value): string {
    checkValue(value, this.#limits.maxDepth);
    const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
    emit(value, XML_ROOT, '', '', out);
    return checkOutput(out.join(''), this.#limits, 'XML');
  }

  deserialize(text: string): Value {
    checkInput(text, this.#limits, 'XML');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark is allowed before the prolog
    // XML 1.0 §2.11: parsers see every CRLF or lone CR as LF.
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    const doctype = /<!DOCTYPE/i.exec(text);
    if (doctype !== null) {
      throw new FormatError('EINVAL', 'XML DOCTYPE declarations are not accepted (no DTDs, no entity expansion)', {
        offset: doctype.index,
        ...lineColumnAt(text, doctype.index),
      });
    }
    const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
    if (valid !== true) {
      const { line, col, msg } = valid.err;
      throw corrupt('XML', msg, { line, column: col });
    }
    let nodes: XmlNode[];
    try {
      nodes = this.#parser.parse(text) as XmlNode[];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/nested tags/i.test(message)) throw new FormatError('EINVAL', `XML nesting deeper than maxDepth ${this.#limits.maxDepth}`, { cause: error });
      throw corrupt('XML', message, { cause: error });
    }
    const roots = nodes.filter((n) => !isText(n) || textOf(n).trim() !== '');
    const root = roots[0];
    if (roots.length !== 1 || root === undefined || isText(root) || tagOf(root) !== XML_ROOT) {
      throw corrupt('XML', `expected exactly one <${XML_ROOT}> root element`);
    }
    const rootAttrs = (root[':@'] ?? {}) as Record<string, string>;
    if (rootAttrs.key !== undefined || rootAttrs['key-encoding'] !== undefined) throw corrupt('XML', `the <${XML_ROOT}> root has no key`);
    return decodeElement(root, [], this.#limits.maxDepth + 1);
  }
}

// ---------------------------------------------------------------- writing

function emit(value: Value, name: string, keyAttrs: string, indent: string, out: string[]): void {
  const open = `${indent}<${name}${keyAttrs}`;
  if (value === null) {
    out.push(`${open} type="null"/>\n`);
  } else if (typeof value === 'string') {
    if (value === '') out.push(`${open}/>\n`);
    else if (NOT_XML_CHAR.test(value)) out.push(`${open} encoding="json">${escapeText(jsonBody(value))}</${name}>\n`);
    else out.push(`${open}>${escapeText(value)}</${name}>\n`);
  } else if (typeof value === 'number') {
    out.push(`${open} type="number">${formatNumber(value)}</${name}>\n`);
  } else if (typeof value === 'boolean') {
    out.push(`${open} type="boolean">${value}</${name}>\n`);
  } else if (typeof value === 'bigint') {
    out.push(`${open} type="bigint">${value}</${name}>\n`);
  } else if (value instanceof Date) {
    out.push(`${open} type="date">${formatDate(value)}</${name}>\n`);
  } else if (value instanceof Uint8Array) {
    out.push(value.length === 0 ? `${open} type="bytes"/>\n` : `${open} type="bytes">${formatBytes(value)}</${name}>\n`);
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push(`${open} type="array"/>\n`);
      return;
    }
    out.push(`${open} type="array">\n`);
    const inner = `${indent}  `;
    for (const item of value) emit(item, XML_ITEM, '', inner, out);
    out.push(`${indent}</${name}>\n`);
  } else {
    const keys = Object.keys(value);
    if (keys.length === 0) {
      out.push(`${open} type="object"/>\n`);
      return;
    }
    out.push(`${open}>\n`);
    const inner = `${indent}  `;
    for (const key of keys) {
      if (SAFE_NAME.test(key) && !RESERVED_NAMES.has(key) && !/^xml/i.test(key)) emit(value[key]!, key, '', inner, out);
      else if (NOT_XML_CHAR.test(key)) emit(value[key]!, XML_ENTRY, ` key="${escapeAttr(jsonBody(key))}" key-encoding="json"`, inner, out);
      else emit(value[key]!, XML_ENTRY, ` key="${escapeAttr(key)}"`, inner, out);
    }
    out.push(`${indent}</${name}>\n`);
  }
}

function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

/** Tabs and newlines become references too: parsers turn literal ones in attributes into spaces. */
function escapeAttr(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}

/** JSON string literal without its quotes; also escapes the two non-characters JSON leaves raw. */
function jsonBody(s: string): string {
  return JSON.stringify(s)
    .slice(1, -1)
    .replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

// ---------------------------------------------------------------- reading

/** fast-xml-parser's preserveOrder shape: `{ tag: children, ':@': attributes }` or `{ '#text': … }`. */
type XmlNode = Record<string, unknown>;

function isText(node: XmlNode): boolean {
  return '#text' in node;
}

function textOf(node: XmlNode): string {
  return String(node['#text']);
}

function tagOf(node: XmlNode): string {
  for (const key of Object.keys(node)) if (key !== ':@') return key;
  return '';
}

function decodeElement(node: XmlNode, segments: PathSegment[], depthLeft: number): Value {
  const tag = tagOf(node);
  const attrs = (node[':@'] ?? {}) as Record<string, string>;
  for (const name of Object.keys(attrs)) {
    if (!ATTRIBUTES.has(name)) throw corrupt('XML', `unexpected attribute ${name} on <${tag}>`, { segments });
  }
  const children = (node[tag] ?? []) as XmlNode[];
  const elements: XmlNode[] = [];
  let text = '';
  for (const child of children) {
    if (isText(child)) text += decodeEntities(textOf(child), segments);
    else if ('#cdata' in child) text += ((child['#cdata'] ?? []) as XmlNode[]).map(textOf).join(''); // CDATA is literal
    else elements.push(child);
  }
  const type = attrs.type ?? (elements.length > 0 ? 'object' : 'string');
  if (!(TYPES as readonly string[]).includes(type)) throw corrupt('XML', `unknown type="${type}" on <${tag}>`, { segments });
  if (attrs.encoding !== undefined && (attrs.encoding !== 'json' || type !== 'string')) {
    throw corrupt('XML', `encoding="${attrs.encoding}" is only valid as encoding="json" on a string`, { segments });
  }
  if (type === 'object' || type === 'array') {
    if (text.trim() !== '') throw corrupt('XML', `text inside <${tag} type="${type}">`, { segments });
    if (depthLeft <= 1) throw new FormatError('EINVAL', 'XML nesting deeper than maxDepth', { field: formatPath(segments) });
    return type === 'array' ? decodeArray(elements, segments, depthLeft - 1) : decodeObject(elements, segments, depthLeft - 1);
  }
  if (elements.length > 0) throw corrupt('XML', `child elements inside <${tag} type="${type}">`, { segments });
  if (type === 'string') return attrs.encoding === 'json' ? parseJsonBody(text, segments) : text;
  const trimmed = text.trim();
  const result = decodeScalar(type as XmlType, trimmed);
  if (result === undefined) throw corrupt('XML', `invalid ${type} text ${JSON.stringify(trimmed.slice(0, 60))}`, { segments });
  return result;
}

function decodeScalar(type: XmlType, text: string): Value | undefined {
  switch (type) {
    case 'null':
      return text === '' ? null : undefined;
    case 'number':
      return parseNumber(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'bigint':
      return parseBigInt(text);
    case 'date':
      return parseDate(text);
    case 'bytes':
      return parseBytes(text);
    default:
      return undefined;
  }
}

function decodeArray(elements: XmlNode[], segments: PathSegment[], depthLeft: number): Value[] {
  const out: Value[] = [];
  for (const el of elements) {
    segments.push(out.length);
    const tag = tagOf(el);
    const attrs = (el[':@'] ?? {}) as Record<string, string>;
    if (tag !== XML_ITEM || attrs.key !== undefined) throw corrupt('XML', `array items must be <${XML_ITEM}> without a key, got <${tag}>`, { segments });
    out.push(decodeElement(el, segments, depthLeft));
    segments.pop();
  }
  return out;
}

function decodeObject(elements: XmlNode[], segments: PathSegment[], depthLeft: number): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const el of elements) {
    const tag = tagOf(el);
    const attrs = (el[':@'] ?? {}) as Record<string, string>;
    let key = tag;
    if (attrs.key !== undefined) {
      key = decodeEntities(attrs.key.replace(/[\t\n]/g, ' '), segments);
      if (attrs['key-encoding'] === 'json') key = parseJsonBody(key, segments);
      else if (attrs['key-encoding'] !== undefined) throw corrupt('XML', `key-encoding="${attrs['key-encoding']}" (only "json" is known)`, { segments });
    } else if (attrs['key-encoding'] !== undefined) {
      throw corrupt('XML', 'key-encoding without key', { segments });
    }
    segments.push(key);
    if (Object.prototype.hasOwnProperty.call(out, key)) throw corrupt('XML', 'duplicate key', { segments });
    setOwn(out, key, decodeElement(el, segments, depthLeft));
    segments.pop();
  }
  return out;
}

const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));|&/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string, segments: PathSegment[]): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (match, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name !== undefined) return PREDEFINED[name]!;
    if (dec === undefined && hex === undefined) throw corrupt('XML', `unknown or unterminated entity near ${JSON.stringify(text.slice(text.indexOf(match), 20))}`, { segments });
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex!, 16);
    const char = code <= 0x10ffff ? String.fromCodePoint(code) : '\0';
    if (NOT_XML_CHAR.test(char)) throw corrupt('XML', `character reference ${match} is not an XML character`, { segments });
    return char;
  });
}

function parseJsonBody(body: string, segments: PathSegment[]): string {
  try {
    const s: unknown = JSON.parse(`"${body}"`);
    if (typeof s === 'string') return s;
  } catch {
    // fall through to the error below
  }
  throw corrupt('XML', 'encoding="json" text is not a JSON string body', { segments });
}
