import { StorageError } from '@store/backend-core';
import { Ajv, type AnySchema, type ErrorObject, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import { formatPath, type PathSegment } from './path.js';

/**
 * JSON Schema validation (draft-07 via ajv) for configuration files and per-namespace
 * document schemas. Compiled validators are cached: by schema object identity, and by
 * the schema's JSON text, so a schema re-read from disk is not recompiled.
 *
 * The data model has types JSON Schema lacks; the extra keyword
 * `modelType: "date" | "bigint" | "bytes"` matches `Date`, `bigint` and `Uint8Array`.
 */
export type JsonSchema = AnySchema;

export interface SchemaIssue {
  /** JSON path of the offending value (for a missing property: where it should be). */
  path: string;
  /** ajv's keyword that failed, e.g. `required`, `type`, `maximum`. */
  keyword: string;
  message: string;
}

export interface SchemaValidatorOptions {
  /** Fill in `default` values from the schema while validating (mutates the value). */
  useDefaults?: boolean;
  /**
   * ajv strict mode. By default ajv's own defaults apply: unknown keywords and invalid
   * schemas are rejected, questionable type combinations only logged. `true` also rejects
   * those and `required` names that no `properties` entry defines.
   */
  strict?: boolean;
  /** How many compiled schemas to keep (least recently compiled are dropped first). Default 256. */
  maxCached?: number;
}

export interface CompiledSchema {
  readonly schema: JsonSchema;
  /** Every problem found; empty when valid. */
  check(value: unknown): SchemaIssue[];
  /** Throws StorageError `EINVAL` naming the first problem (`field`) and the file (`path`). */
  assert(value: unknown, where?: { path?: string }): void;
}

const MODEL_TYPES: Record<string, (v: unknown) => boolean> = {
  date: (v) => v instanceof Date,
  bigint: (v) => typeof v === 'bigint',
  bytes: (v) => v instanceof Uint8Array,
};

export class SchemaValidator {
  readonly #ajv: Ajv;
  readonly #byIdentity = new WeakMap<object, CompiledSchema>();
  readonly #byText = new Map<string, CompiledSchema>();
  readonly #maxCached: number;

  constructor(options: SchemaValidatorOptions = {}) {
    const ajvOptions: AjvOptions = { allErrors: true, useDefaults: options.useDefaults ?? false };
    if (options.strict !== undefined) ajvOptions.strict = options.strict;
    this.#ajv = new Ajv(ajvOptions);
    this.#ajv.addKeyword({
      keyword: 'modelType',
      schemaType: 'string',
      metaSchema: { enum: Object.keys(MODEL_TYPES) },
      validate: (type: string, data: unknown) => MODEL_TYPES[type]!(data),
      errors: false,
    });
    this.#maxCached = options.maxCached ?? 256;
  }

  /** Number of compiled schemas currently cached. */
  get cached(): number {
    return this.#byText.size;
  }

  /** Makes a schema available to `$ref` by its `$id` (or the given id). */
  addSchema(schema: JsonSchema, id?: string): this {
    try {
      this.#ajv.addSchema(schema, id);
    } catch (error) {
      throw new StorageError('EINVAL', `invalid JSON Schema: ${(error as Error).message}`, { cause: error });
    }
    return this;
  }

  compile(schema: JsonSchema): CompiledSchema {
    const isObject = typeof schema === 'object' && schema !== null;
    const known = isObject ? this.#byIdentity.get(schema) : undefined;
    if (known !== undefined) return known;
    const text = JSON.stringify(schema);
    let compiled = this.#byText.get(text);
    if (compiled === undefined) {
      let fn: ValidateFunction;
      try {
        fn = this.#ajv.compile(schema);
      } catch (error) {
        throw new StorageError('EINVAL', `invalid JSON Schema: ${(error as Error).message}`, { cause: error });
      }
      compiled = makeCompiled(schema, fn);
      this.#byText.set(text, compiled);
      if (this.#byText.size > this.#maxCached) {
        const [oldestText, oldest] = this.#byText.entries().next().value!;
        this.#byText.delete(oldestText);
        this.#ajv.removeSchema(oldest.schema); // ajv keeps its own cache per schema object
      }
    }
    if (isObject) this.#byIdentity.set(schema, compiled);
    return compiled;
  }

  check(schema: JsonSchema, value: unknown): SchemaIssue[] {
    return this.compile(schema).check(value);
  }

  assert(schema: JsonSchema, value: unknown, where?: { path?: string }): void {
    this.compile(schema).assert(value, where);
  }
}

function makeCompiled(schema: JsonSchema, fn: ValidateFunction): CompiledSchema {
  const check = (value: unknown): SchemaIssue[] => (fn(value) ? [] : (fn.errors ?? []).map((e) => toIssue(e, value)));
  return {
    schema,
    check,
    assert(value, where = {}) {
      const issues = check(value);
      const first = issues[0];
      if (first === undefined) return;
      const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1, 4).map((i) => `${i.path} ${i.message}`).join('; ')})` : '';
      throw new StorageError('EINVAL', `schema validation failed: ${first.path} ${first.message}${more}`, { path: where.path, field: first.path });
    },
  };
}

function toIssue(error: ErrorObject, root: unknown): SchemaIssue {
  const segments = pointerToSegments(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  const child = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty ?? params.propertyName;
  if (typeof child === 'string') segments.push(child);
  return { path: formatPath(segments), keyword: error.keyword, message: error.message ?? error.keyword };
}

/** JSON Pointer → path segments; a segment is an index only where the data holds an array. */
function pointerToSegments(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(?:0|[1-9]\d*)$/.test(key)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

/** A shared validator for callers that do not need their own options. */
export const schemas = new SchemaValidator();
