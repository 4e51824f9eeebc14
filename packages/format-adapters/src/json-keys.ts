/**
 * JSON.parse keeps the last of two equal keys (`{"a":1,"a":2}` → `{"a":2}`, also for
 * `"a"` and `"\u0061"`), silently dropping data. RFC 8259 leaves duplicates undefined, so
 * the adapter refuses them. Cheap check first: count key tokens in the (already parsed,
 * hence valid) text and compare with the keys the parsed value has; only on a mismatch
 * scan again to say which key, and where.
 */

/** Every string literal, with the `:` that makes it a key; outside strings valid JSON has no `"`. */
const STRING_TOKEN = /"(?:[^"\\]|\\.)*"(\s*:)?/g;

export function countKeyTokens(text: string): number {
  let keys = 0;
  STRING_TOKEN.lastIndex = 0;
  for (let m = STRING_TOKEN.exec(text); m !== null; m = STRING_TOKEN.exec(text)) if (m[1] !== undefined) keys++;
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
