import { isStorageError } from '@store/backend-core';
import { describe, expect, it } from 'vitest';
import { schemas, SchemaValidator, yaml, type JsonSchema } from '../src/index.js';

const configSchema = {
  type: 'object',
  properties: {
    pageSize: { type: 'integer', minimum: 512, default: 8192 },
    owner: {
      type: 'object',
      properties: { pets: { type: 'array', items: { type: 'string' } } },
      required: ['pets'],
    },
  },
  additionalProperties: false,
} as const;

describe('SchemaValidator', () => {
  it('accepts a valid value and lists every issue of an invalid one with JSON paths', () => {
    const v = new SchemaValidator();
    expect(v.check(configSchema, { pageSize: 4096, owner: { pets: ['cat'] } })).toEqual([]);
    const issues = v.check(configSchema, { pageSize: 12, owner: { pets: ['cat', 'dog', 3] }, extra: true });
    expect(issues.map((i) => [i.path, i.keyword])).toEqual([
      ['$.extra', 'additionalProperties'],
      ['$.pageSize', 'minimum'],
      ['$.owner.pets[2]', 'type'],
    ]);
    expect(v.check(configSchema, { owner: {} }).map((i) => i.path)).toEqual(['$.owner.pets']);
  });

  it('assert throws EINVAL naming the file and the first field', () => {
    const text = 'pageSize: 100\nowner:\n  pets: [cat, 7]\n';
    try {
      schemas.assert(configSchema, yaml.deserialize(text), { path: 'storage.yaml' });
      expect.unreachable();
    } catch (error) {
      expect(isStorageError(error, 'EINVAL')).toBe(true);
      if (!isStorageError(error)) throw error;
      expect(error.path).toBe('storage.yaml');
      expect(error.field).toBe('$.pageSize');
      expect(error.message).toContain('and 1 more: $.owner.pets[1] must be string');
    }
    expect(() => schemas.assert(configSchema, { pageSize: 8192 })).not.toThrow();
  });

  it('treats numeric-looking keys of objects as keys, indexes of arrays as indexes', () => {
    const schema = { type: 'object', additionalProperties: { type: 'array', items: { type: 'number' } } };
    expect(schemas.check(schema, { '0': [1, 'x'] }).map((i) => i.path)).toEqual(['$["0"][1]']);
  });

  it('fills defaults when asked (config files)', () => {
    const v = new SchemaValidator({ useDefaults: true });
    const config: Record<string, unknown> = { owner: { pets: [] } };
    v.assert(configSchema, config);
    expect(config.pageSize).toBe(8192);
  });

  it('caches compiled schemas by identity and by content', () => {
    const v = new SchemaValidator();
    const a = v.compile(configSchema);
    expect(v.compile(configSchema)).toBe(a);
    expect(v.compile(JSON.parse(JSON.stringify(configSchema)) as JsonSchema)).toBe(a); // re-read from disk: no recompile
    expect(v.cached).toBe(1);
    const b = v.compile({ type: 'string' });
    expect(b).not.toBe(a);
    expect(v.cached).toBe(2);
  });

  it('keeps at most maxCached compiled schemas, dropping the oldest', () => {
    const v = new SchemaValidator({ maxCached: 3 });
    const first = v.compile({ type: 'string', maxLength: 0 });
    for (let i = 1; i < 10; i++) v.compile({ type: 'string', maxLength: i });
    expect(v.cached).toBe(3);
    const again = v.compile(JSON.parse('{"type":"string","maxLength":0}') as JsonSchema);
    expect(again).not.toBe(first);
    expect(again.check('')).toEqual([]);
    expect(again.check('x')).toHaveLength(1);
  });

  it('accepts everyday schemas by default; strict: true adds ajv\'s stricter checks', () => {
    const loose = { type: 'object', required: ['name'] };
    expect(schemas.check(loose, {}).map((i) => i.path)).toEqual(['$.name']);
    expect(() => new SchemaValidator({ strict: true }).compile(loose)).toThrow(/strictRequired/);
  });

  it('rejects an invalid schema with EINVAL', () => {
    for (const bad of [{ type: 'strin' }, { minimum: 'x' }, { unknownKeyword: 1 }] as JsonSchema[]) {
      try {
        new SchemaValidator().compile(bad);
        expect.unreachable(JSON.stringify(bad));
      } catch (error) {
        expect(isStorageError(error, 'EINVAL')).toBe(true);
      }
    }
  });

  it('checks Date, bigint and Uint8Array values with the modelType keyword', () => {
    const schema = {
      type: 'object',
      properties: { at: { modelType: 'date' }, id: { modelType: 'bigint' }, raw: { modelType: 'bytes' } },
    };
    expect(schemas.check(schema, { at: new Date(0), id: 1n, raw: new Uint8Array(1) })).toEqual([]);
    expect(schemas.check(schema, { at: '2024-01-01', id: 1, raw: [1] }).map((i) => i.path)).toEqual(['$.at', '$.id', '$.raw']);
    expect(() => schemas.compile({ modelType: 'float' })).toThrow(/invalid JSON Schema/);
  });

  it('resolves $ref to schemas added by id (per-namespace schemas sharing definitions)', () => {
    const v = new SchemaValidator().addSchema({ $id: 'pet', type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
    const ns = { type: 'array', items: { $ref: 'pet' } };
    expect(v.check(ns, [{ name: 'Tom' }])).toEqual([]);
    expect(v.check(ns, [{ name: 'Tom' }, {}]).map((i) => i.path)).toEqual(['$[1].name']);
    expect(() => v.addSchema({ type: 'nope' })).toThrow(/invalid JSON Schema/);
  });
});
