import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { StorageError, isStorageError } from '@store/backend-core';
import type { SearchHit, VectorFile, VectorRecord } from '@store/vector-file';
import type { ServerContext } from '../context.js';
import { HttpError, limitError } from '../http-error.js';
import { checkName } from '../key.js';
import type { Lease } from '../resource-registry.js';
import type { RouteFamily } from './family.js';
import { errorResponses } from './schemas.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const METRICS = ['cosine', 'dot', 'l2'] as const;

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, description: 'Vector file name: one path segment' } },
} as const;
const idParams = {
  type: 'object',
  required: ['name', 'id'],
  properties: { name: nameParams.properties.name, id: { type: 'string', minLength: 1, description: 'Vector id (URL-encoded)' } },
} as const;
/** A vector in a request: numbers, or base64 of little-endian float32 bytes. Checked by hand (no coercion). */
const vectorSchema = { description: 'An array of numbers, or a base64 string of little-endian float32 values' } as const;
const hitSchema = { type: 'object', properties: { id: { type: 'string' }, score: { type: 'number' } } } as const;
const encodingQuery = {
  type: 'object',
  properties: { encoding: { type: 'string', enum: ['json', 'base64'], default: 'json', description: 'How vectors are written in the answer' } },
  additionalProperties: false,
} as const;

/** Opens (or finds open) the vector file `name` under `<data>/vectors/`; reads of a missing file are ENOENT, never a create. */
async function leaseFile(ctx: ServerContext, name: string, create: boolean): Promise<Lease<VectorFile>> {
  const dir = path.join(ctx.dataDir, 'vectors');
  const file = path.join(dir, `${name}.jdbv`);
  const key = `vectors:${name}`;
  if (!ctx.resources.has(key)) {
    const st = await stat(file).catch(() => undefined);
    if (st === undefined && !create) throw new StorageError('ENOENT', `no vector file named '${name}'`, { path: `vectors/${name}` });
    if (st === undefined) await mkdir(dir, { recursive: true });
  }
  // Loaded on first use, like every package behind a route family, to keep start-up short.
  return ctx.resources.acquire(key, async () => (await import('@store/vector-file')).VectorFile.open(file, { create }));
}

/** A vector from JSON: an array of numbers (kept as given; the file checks finiteness) or base64 float32 LE. */
/**
 * putBatch names a bad item by its own parameter (`items[3].vector[7]`); the client sent
 * `vectors[3]…`, which the route's own checks name too.
 */
function requestFieldNames(error: unknown): unknown {
  if (!isStorageError(error) || error.field?.startsWith('items[') !== true) return error;
  const rename = (text: string): string => text.replaceAll('items[', 'vectors[');
  const message = error.message.replace(/^[A-Z]+: /, '').replace(/ \((?:path|offset|field) [^)]*\)$/, '');
  return new StorageError(error.code, rename(message), { field: rename(error.field), ...(error.path === undefined ? {} : { path: error.path }) });
}

function vectorOf(value: unknown, field: string): Float32Array | number[] {
  if (typeof value === 'string') {
    if (!BASE64.test(value)) throw new HttpError(400, 'EINVAL', `${field} is not base64`, { field });
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0) throw new HttpError(400, 'EINVAL', `${field} is ${bytes.length} bytes, not a whole number of float32 values`, { field });
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
    return out;
  }
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'number')) {
    throw new HttpError(400, 'EINVAL', `${field} must be an array of numbers or a base64 string`, { field });
  }
  return value as number[];
}

function recordOut(r: VectorRecord, encoding: string): Record<string, unknown> {
  const vector = encoding === 'base64' ? Buffer.from(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength).toString('base64') : Array.from(r.vector);
  return { id: r.id, vector, metadata: r.metadata, created: r.created, updated: r.updated, version: r.version };
}

/** `{ "key": value, … }`: a vector passes when its metadata has every key with an equal (JSON) value. */
function filterOf(value: unknown): ((metadata: unknown) => boolean) | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'EINVAL', 'filter must be an object of metadata fields to match', { field: 'filter' });
  const wanted = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, JSON.stringify(v)] as const);
  return (metadata) => {
    if (metadata === null || typeof metadata !== 'object') return false;
    const m = metadata as Record<string, unknown>;
    return wanted.every(([k, v]) => Object.hasOwn(m, k) && JSON.stringify(m[k]) === v);
  };
}

/**
 * Vector files under `<data>/vectors/<name>.jdbv` (@store/vector-file): put a batch, get and
 * delete by id, exact k-NN search (one query or a batch), stats.
 */
const vectors: RouteFamily = {
  name: 'vectors',
  prefix: '/v1/vectors',
  async plugin(app, { ctx }) {
    ctx.reserveDirectory('vectors');

    app.post(
      '/:name/vectors',
      {
        schema: {
          tags: ['vectors'],
          summary: 'Put a batch of vectors (created with the file on first use; the first vector fixes the dimension). Answered once durable (fdatasync).',
          params: nameParams,
          body: {
            type: 'object',
            required: ['vectors'],
            properties: {
              vectors: {
                type: 'array',
                items: { type: 'object', required: ['id', 'vector'], properties: { id: { type: 'string' }, vector: vectorSchema, metadata: { description: 'Any JSON value' } } },
              },
            },
          },
          response: { 200: { type: 'object', properties: { count: { type: 'integer' } } }, ...errorResponses },
        },
      },
      async (request) => {
        const name = checkName((request.params as { name: string }).name, 'name');
        const items = (request.body as { vectors: { id: string; vector: unknown; metadata?: unknown }[] }).vectors;
        if (items.length > ctx.limits.maxBatchEvents) throw limitError(400, 'maxBatchEvents', `batch of ${items.length} vectors is larger than ${ctx.limits.maxBatchEvents}`);
        if (items.length === 0) throw new HttpError(400, 'EINVAL', 'the batch holds no vector', { field: 'vectors' });
        const batch = items.map((it, i) => ({ id: it.id, vector: vectorOf(it.vector, `vectors[${i}].vector`), metadata: it.metadata }));
        const lease = await leaseFile(ctx, name, true);
        try {
          await lease.value.putBatch(batch).catch((error: unknown) => {
            throw requestFieldNames(error);
          });
          return { count: batch.length };
        } finally {
          lease.release();
        }
      },
    );

    app.get(
      '/:name/vectors/:id',
      {
        schema: {
          tags: ['vectors'],
          summary: 'One vector with its metadata, times and version',
          params: idParams,
          querystring: encodingQuery,
          response: {
            200: { type: 'object', properties: { id: { type: 'string' }, vector: {}, metadata: {}, created: { type: 'integer' }, updated: { type: 'integer' }, version: { type: 'integer' } } },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { name: rawName, id } = request.params as { name: string; id: string };
        const name = checkName(rawName, 'name');
        const lease = await leaseFile(ctx, name, false);
        try {
          const r = await lease.value.get(id);
          if (r === undefined) throw new StorageError('ENOENT', `no vector with id '${id}' in '${name}'`);
          return recordOut(r, (request.query as { encoding: string }).encoding);
        } finally {
          lease.release();
        }
      },
    );

    app.delete(
      '/:name/vectors/:id',
      {
        schema: {
          tags: ['vectors'],
          summary: 'Delete one vector (a tombstone; compaction reclaims the space). 404 if it was not there.',
          params: idParams,
          response: { 200: { type: 'object', properties: { deleted: { type: 'boolean' } } }, ...errorResponses },
        },
      },
      async (request) => {
        const { name: rawName, id } = request.params as { name: string; id: string };
        const name = checkName(rawName, 'name');
        const lease = await leaseFile(ctx, name, false);
        try {
          if (!(await lease.value.delete(id))) throw new StorageError('ENOENT', `no vector with id '${id}' in '${name}'`);
          return { deleted: true };
        } finally {
          lease.release();
        }
      },
    );

    app.post(
      '/:name/search',
      {
        schema: {
          tags: ['vectors'],
          summary: 'Exact k-nearest-neighbour search: `vector` answers `{ hits }`, `vectors` (a batch) answers `{ results }`, best first; ties by id',
          params: nameParams,
          body: {
            type: 'object',
            required: ['k'],
            properties: {
              vector: vectorSchema,
              vectors: { type: 'array', items: vectorSchema },
              k: { type: 'integer', minimum: 0, maximum: 10_000 },
              metric: { type: 'string', enum: [...METRICS], default: 'cosine' },
              filter: { type: 'object', description: 'Metadata fields that must be equal, e.g. {"lang": "en"}' },
            },
          },
          response: {
            200: { type: 'object', properties: { hits: { type: 'array', items: hitSchema }, results: { type: 'array', items: { type: 'array', items: hitSchema } } } },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const name = checkName((request.params as { name: string }).name, 'name');
        const body = request.body as { vector?: unknown; vectors?: unknown[]; k: number; metric: (typeof METRICS)[number]; filter?: unknown };
        if ((body.vector === undefined) === (body.vectors === undefined)) throw new HttpError(400, 'EINVAL', 'give exactly one of vector (one query) and vectors (a batch)', { field: 'vector' });
        if (body.vectors !== undefined && body.vectors.length > ctx.limits.maxBatchEvents) {
          throw limitError(400, 'maxBatchEvents', `batch of ${body.vectors.length} queries is larger than ${ctx.limits.maxBatchEvents}`);
        }
        const filter = filterOf(body.filter);
        const options = { metric: body.metric, ...(filter === undefined ? {} : { filter }) };
        const lease = await leaseFile(ctx, name, false);
        try {
          if (body.vector !== undefined) return { hits: await lease.value.search(vectorOf(body.vector, 'vector'), body.k, options) };
          const queries = body.vectors!.map((q, i) => vectorOf(q, `vectors[${i}]`));
          const results: SearchHit[][] = await lease.value.searchBatch(queries, body.k, options);
          return { results };
        } finally {
          lease.release();
        }
      },
    );

    app.get(
      '/:name/stats',
      {
        schema: {
          tags: ['vectors'],
          summary: 'Vectors, dimension, bytes and what opening the file found',
          params: nameParams,
          response: {
            200: { type: 'object', properties: { name: { type: 'string' }, count: { type: 'integer' }, dimension: { type: 'integer' }, fileBytes: { type: 'integer' }, index: { type: 'string' } } },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const name = checkName((request.params as { name: string }).name, 'name');
        const lease = await leaseFile(ctx, name, false);
        try {
          const s = await lease.value.stats();
          return { name, count: s.count, dimension: s.dimension, fileBytes: s.fileBytes, index: s.recovery.index };
        } finally {
          lease.release();
        }
      },
    );
  },
};

export default vectors;
