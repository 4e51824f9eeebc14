import { isStorageError } from '@store/backend-core';
import { describe, expect, it } from 'vitest';
import { adapterFor, formats, FormatRegistry, json, xml, yaml, type FormatAdapter, type Value } from '../src/index.js';

/** A real (if tiny) extra format: one JSON value per line, to show the registry is open. */
const ndjson: FormatAdapter = {
  name: 'json-lines',
  extension: 'jsonl',
  aliases: ['ndjson'],
  mediaType: 'application/x-ndjson',
  serialize: (value) => `${(value as Value[]).map((v) => JSON.stringify(v)).join('\n')}\n`,
  deserialize: (text) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Value),
};

describe('adapterFor and the default registry', () => {
  it.each([
    ['json', json],
    ['JSON', json],
    ['.json', json],
    ['application/json', json],
    ['storage.json', json],
    ['xml', xml],
    ['.XML', xml],
    ['storage.xml', xml],
    ['application/xml', xml],
    ['yaml', yaml],
    ['yml', yaml],
    ['.yml', yaml],
    ['storage.yaml', yaml],
    ['application/yaml', yaml],
    [' yaml ', yaml],
  ])('%j → %s', (key, adapter) => {
    expect(adapterFor(key)).toBe(adapter);
  });

  it('unknown formats are EINVAL naming the known ones', () => {
    for (const key of ['toml', '', '.', 'page001.json.v12', 'text/plain']) {
      try {
        adapterFor(key);
        expect.unreachable(key);
      } catch (error) {
        expect(isStorageError(error, 'EINVAL')).toBe(true);
        expect((error as Error).message).toContain('json, xml, yaml');
      }
    }
    expect(formats.find('toml')).toBeUndefined();
  });

  it('lists the built-in adapters with their extension and media type', () => {
    expect(formats.list().map((a) => [a.name, a.extension, a.mediaType])).toEqual([
      ['json', 'json', 'application/json'],
      ['xml', 'xml', 'application/xml'],
      ['yaml', 'yaml', 'application/yaml'],
    ]);
  });
});

describe('FormatRegistry is extensible', () => {
  it('registers a custom adapter under its name, extension, aliases and media type', () => {
    const registry = new FormatRegistry([json]).register(ndjson);
    for (const key of ['json-lines', 'jsonl', '.ndjson', 'application/x-ndjson', 'events.jsonl']) expect(registry.get(key)).toBe(ndjson);
    expect(registry.get('events.jsonl').deserialize(ndjson.serialize([1, 'a']))).toEqual([1, 'a']);
  });

  it('refuses a clash with EEXIST unless asked to replace', () => {
    const registry = new FormatRegistry([json, xml, yaml]);
    const other: FormatAdapter = { ...ndjson, name: 'json5', extension: 'json', aliases: [], mediaType: 'application/json5' };
    try {
      registry.register(other);
      expect.unreachable();
    } catch (error) {
      expect(isStorageError(error, 'EEXIST')).toBe(true);
    }
    expect(registry.get('json')).toBe(json);
    registry.register(other, { replace: true });
    expect(registry.get('json')).toBe(other);
    expect(registry.find('application/json')).toBeUndefined(); // the replaced adapter is gone entirely
    expect(registry.list().map((a) => a.name)).toEqual(['xml', 'yaml', 'json5']);
  });

  it('rejects an adapter with an empty key', () => {
    expect(() => new FormatRegistry().register({ ...ndjson, extension: '' })).toThrow(/empty/);
  });

  it('the shared default registry accepts additions', () => {
    const custom: FormatAdapter = { ...ndjson, name: 'test-only-format', extension: 'tof', aliases: [], mediaType: 'application/x-test-only' };
    formats.register(custom);
    expect(adapterFor('x.tof')).toBe(custom);
  });
});
