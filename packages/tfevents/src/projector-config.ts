import { StorageError } from '@store/backend-core';

/**
 * The subset of protobuf text format that `projector_config.pbtxt` uses (what Python's
 * `text_format.MessageToString` writes for tensorboard.projector.ProjectorConfig): fields
 * `name: scalar` and `name { ... }`, two-space indentation, strings C-escaped with non-ASCII
 * bytes as octal. Scalars keep their source text, so a parsed file prints back unchanged.
 */
export type TextField = { name: string; raw: string } | { name: string; fields: TextField[] };

/** Parses text format; ECORRUPT (with `path`) on anything it cannot read. */
export function parseTextFormat(text: string, path: string): TextField[] {
  let p = 0;
  const fail = (why: string): never => {
    throw new StorageError('ECORRUPT', `projector config: ${why} at character ${p}`, { path, offset: p });
  };
  const skip = (): void => {
    for (;;) {
      while (p < text.length && /\s/.test(text[p]!)) p++;
      if (text[p] === '#') {
        while (p < text.length && text[p] !== '\n') p++;
      } else return;
    }
  };
  const message = (depth: number): TextField[] => {
    const fields: TextField[] = [];
    for (;;) {
      skip();
      if (p >= text.length) {
        if (depth > 0) fail('unclosed {');
        return fields;
      }
      if (text[p] === '}') {
        if (depth === 0) fail('unexpected }');
        p++;
        return fields;
      }
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(p, p + 256))?.[0] ?? fail('expected a field name');
      p += name.length;
      skip();
      if (text[p] === ':') {
        p++;
        skip();
        if (text[p] === '{') {
          p++;
          fields.push({ name, fields: message(depth + 1) });
          continue;
        }
        const start = p;
        if (text[p] === '"' || text[p] === "'") {
          const quote = text[p++];
          while (p < text.length && text[p] !== quote) {
            if (text[p] === '\n') fail('newline in string');
            p += text[p] === '\\' ? 2 : 1;
          }
          if (p >= text.length) fail('unterminated string');
          p++;
        } else {
          while (p < text.length && /[^\s{}:#"']/.test(text[p]!)) p++;
          if (p === start) fail('expected a value');
        }
        fields.push({ name, raw: text.slice(start, p) });
      } else if (text[p] === '{') {
        p++;
        fields.push({ name, fields: message(depth + 1) });
      } else {
        fail(`expected ':' or '{' after ${name}`);
      }
    }
  };
  return message(0);
}

export function printTextFormat(fields: readonly TextField[], indent = ''): string {
  let out = '';
  for (const f of fields) {
    if ('raw' in f) out += `${indent}${f.name}: ${f.raw}\n`;
    else out += `${indent}${f.name} {\n${printTextFormat(f.fields, `${indent}  `)}${indent}}\n`;
  }
  return out;
}

/** A quoted text-format string as Python's text_format writes it (as_utf8=False: bytes ≥ 0x7f in octal). */
export function quoteText(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x22) out += '\\"';
    else if (byte === 0x27) out += "\\'";
    else if (byte === 0x5c) out += '\\\\';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

/** The value of a quoted text-format string (C escapes, octal and hex bytes, UTF-8). */
export function unquoteText(raw: string, path: string): string {
  const quote = raw[0];
  if ((quote !== '"' && quote !== "'") || raw.at(-1) !== quote || raw.length < 2) throw new StorageError('ECORRUPT', `projector config: expected a string, got ${raw}`, { path });
  const bytes: number[] = [];
  const body = raw.slice(1, -1);
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92, a: 7, b: 8, f: 12, v: 11, '?': 63 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = body[++i] ?? '';
    if (next in simple) bytes.push(simple[next]!);
    else if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      bytes.push(Number.parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (next === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))?.[0];
      if (hex === undefined) throw new StorageError('ECORRUPT', 'projector config: bad \\x escape', { path });
      bytes.push(Number.parseInt(hex, 16));
      i += hex.length;
    } else throw new StorageError('ECORRUPT', `projector config: unknown escape \\${next}`, { path });
  }
  return Buffer.from(bytes).toString('utf8');
}
