import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { json, xml, yaml } from '../src/index.js';
import { representative } from './golden/representative.js';

// UPDATE_GOLDEN=1 rewrites the files; review the diff before committing it.
const update = process.env.UPDATE_GOLDEN === '1';

describe.each([json, xml, yaml])('$name golden file', (adapter) => {
  const file = new URL(`./golden/representative.${adapter.extension}`, import.meta.url);

  it('serializes the representative object to exactly the golden text', () => {
    const text = adapter.serialize(representative());
    if (update) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });

  it('reads the golden text back to the representative object', () => {
    const back = adapter.deserialize(readFileSync(file, 'utf8'));
    expect(isDeepStrictEqual(back, representative())).toBe(true);
  });

  it('turns a one-field change into a one-line diff', () => {
    const before = adapter.serialize(representative()).split('\n');
    const changed = representative() as { owner: { age: number } };
    changed.owner.age = 37;
    const after = adapter.serialize(changed as never).split('\n');
    expect(after.length).toBe(before.length);
    expect(after.filter((line, i) => line !== before[i])).toHaveLength(1);
  });
});
