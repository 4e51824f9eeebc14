/**
 * V8's JSON.parse names the failing position for most errors but not for "Unexpected
 * token" ones, so on the error path only we re-scan the text to find the offset of the
 * first character that breaks RFC 8259. Iterative, so deep input cannot overflow the stack.
 * Returns undefined when the text is valid JSON.
 */
export function locateJsonError(text: string): number | undefined {
  const n = text.length;
  const stack: boolean[] = []; // true = inside an object
  let i = 0;
  let state: 'value' | 'key' | 'after' = 'value';
  const skipSpace = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  for (;;) {
    skipSpace();
    if (state === 'after') {
      if (stack.length === 0) return i === n ? undefined : i;
      const inObject = stack[stack.length - 1]!;
      const c = text[i];
      if (c === ',') {
        i++;
        state = inObject ? 'key' : 'value';
      } else if (c === (inObject ? '}' : ']')) {
        i++;
        stack.pop();
      } else {
        return i;
      }
      continue;
    }
    if (state === 'key') {
      const end = scanString(text, i);
      if (end < 0) return -end - 1;
      i = end;
      skipSpace();
      if (text[i] !== ':') return i;
      i++;
      state = 'value';
      continue;
    }
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      skipSpace();
      if (text[i] === (c === '{' ? '}' : ']')) {
        i++;
        state = 'after';
      } else {
        stack.push(c === '{');
        state = c === '{' ? 'key' : 'value';
      }
      continue;
    }
    if (c === '"') {
      const end = scanString(text, i);
      if (end < 0) return -end - 1;
      i = end;
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) return i;
      i += m[0].length;
    }
    state = 'after';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** Returns the index after the closing quote, or `-(offset of the error) - 1`. */
function scanString(text: string, start: number): number {
  if (text[start] !== '"') return -start - 1;
  let i = start + 1;
  for (;;) {
    if (i >= text.length) return -i - 1;
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -i - 1;
    if (c === 0x5c) {
      ESCAPE.lastIndex = i;
      const m = ESCAPE.exec(text);
      if (m === null) return -i - 1;
      i += m[0].length;
    } else {
      i++;
    }
  }
}
