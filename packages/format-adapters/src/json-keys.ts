/**
 * JSON.parse keeps the last of two equal keys (`{"a":1,"a":2}` → `{"a":2}`, also for
 * `"a"` and `"\u0061"`), silently dropping data. RFC 8259 leaves duplicates undefined, so
 * the adapter refuses them. Cheap check first: count the colons that may end a key token in
 * the (already parsed, hence valid) text and compare with the keys the parsed value has;
 * only when there are more, count the key tokens exactly, and on a mismatch scan again to
 * say which key, and where.
 */

/** True when the `"` at `at` is escaped: preceded by an odd number of backslashes. */
function escapedQuote(text: string, at: number): boolean {
  let slashes = 0;
  while (at - 1 - slashes >= 0 && text.charCodeAt(at - 1 - slashes) === 0x5c) slashes++;
  return slashes % 2 === 1;
}

/**
 * Colons of valid JSON `text` that may end a key token, counting no further than
 * `limit + 1`: those whose previous non-blank character is a `"` that is not escaped. Every
 * key token's own `:` is one of them, so this is at least the number of key tokens; a colon
 * inside a string is one only right after the string's opening quote (`": …"`), which is
 * rare — times, URLs and the like (`"12:30"`, `"https://…"`) are not. indexOf jumps from colon
 * to colon (it is vectorised), and each costs a character or two of look-back.
 */
export function countKeyColons(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf(':'); i !== -1 && n <= limit; i = text.indexOf(':', i + 1)) {
    let j = i - 1;
    let c = text.charCodeAt(j);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(--j);
    if (c === 0x22 && !escapedQuote(text, j)) n++;
  }
  return n;
}

/**
 * Key tokens in valid JSON: string literals followed by `:`. Jumps from quote to quote
 * with indexOf (outside strings valid JSON has no `"`), so it costs a fraction of the parse.
 */
export function countKeyTokens(text: string): number {
  let keys = 0;
  for (let start = text.indexOf('"'); start !== -1; ) {
    let end = text.indexOf('"', start + 1);
    while (end !== -1 && escapedQuote(text, end)) end = text.indexOf('"', end + 1);
    if (end === -1) break;
    let next = end + 1;
    for (let c = text.charCodeAt(next); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++next));
    if (text.charCodeAt(next) === 0x3a) keys++;
    start = text.indexOf('"', next);
  }
  return keys;
}

const TOKEN = /"(?:[^"\\]|\\.)*"(\s*:)?|[{}[\]]/g;

/** Offset and name of the first key that repeats one before it in the same object. */
export function locateDuplicateKey(text: string): { offset: number; key: string } | undefined {
  const stack: (Set<string> | undefined)[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const token = m[0];
    if (token === '{') stack.push(new Set());
    else if (token === '[') stack.push(undefined);
    else if (token === '}' || token === ']') stack.pop();
    else if (m[1] !== undefined) {
      const key = JSON.parse(token.slice(0, token.length - m[1].length)) as string;
      const seen = stack[stack.length - 1];
      if (seen === undefined) continue;
      if (seen.has(key)) return { offset: m.index, key };
      seen.add(key);
    }
  }
  return undefined;
}
