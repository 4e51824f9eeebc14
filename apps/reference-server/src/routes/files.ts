import type { FastifyReply, FastifyRequest } from 'fastify';
import { capabilitiesOf, parseKey, StorageError, type StorageBackend } from '@store/backend-core';
import type { ConditionalWriteBackend } from '@store/backend-s3';
import type { ServerContext } from '../context.js';
import { etagOf, matches, parseRange } from '../etag.js';
import { HttpError } from '../http-error.js';
import { keyFromUrl, strictQueryParam } from '../key.js';
import { KeyedChain } from '../keyed-chain.js';
import { LargeFiles, STREAM_ABOVE } from '../large-file.js';
import { readRangeConsistently } from '../range-read.js';
import { FileReadCache, type FileRead } from '../read-cache.js';
import type { RouteFamily } from './family.js';
import { binaryResponse, errorResponses, flag, isOn, unfailingStrings } from './schemas.js';

const PREFIX = '/v1/files/';
/** Parsed request targets kept (see `target` below). */
const KEY_CACHE_ENTRIES = 4096;

const wildcard = {
  type: 'object',
  properties: { '*': { type: 'string', description: 'The key: `/`-separated, each segment percent-encoded; a trailing `/` names a directory' } },
} as const;

const fileQuery = {
  type: 'object',
  properties: {
    stat: flag('`1`: answer `{ exists, size, mtimeMs, isDirectory }` (JSON) instead of the bytes'),
    recursive: flag('`1` on a directory listing: paths of every file below the directory'),
  },
  additionalProperties: false,
} as const;

interface FileQuery {
  stat?: string;
  recursive?: string;
}

/**
 * `PUT|GET|HEAD|DELETE /v1/files/<key>` over `ctx.backend`, and `POST /v1/files/<key>?to=<key>`
 * to rename. Raw bytes in and out; a trailing `/` names a directory (`GET` lists it, `PUT` creates it). `ETag` is a hash of
 * the content; `If-Match` / `If-None-Match` make read-modify-write safe; `Range` is served
 * with `readRange` when the backend has it.
 */
const files: RouteFamily = {
  name: 'files',
  async plugin(app, { ctx }) {
    const backend = ctx.backend;
    const caps = capabilitiesOf(backend);
    const conditional = conditionalWrites(backend);
    const chain = new KeyedChain();
    // Bodies are raw bytes whatever their Content-Type (a JSON file is still just a file).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    const cache = FileReadCache.for(backend, ctx.limits.readCacheBytes);
    const large = LargeFiles.for(backend);
    /**
     * The whole file and its ETag: from the small-file cache when there is one, else one
     * backend read. `undefined`: a file over STREAM_ABOVE on the data directory, to be
     * streamed (the cache's own stat tells, so a GET costs no extra system call for it).
     */
    const readWhole = async (key: string): Promise<FileRead | undefined> => {
      if (cache !== undefined) return cache.readUpTo(key, STREAM_ABOVE);
      if (large?.sizeIfLarge(key) !== undefined) return undefined;
      const data = await backend.readFile(key);
      return { data, etag: etagOf(data) };
    };

    // keyFromUrl is a pure function of the request target's path; parsing and checking a
    // key against the path rules showed in the GET profile, so the answers for recent
    // targets are kept (the errors are not: a bad target is parsed again each time). A
    // plain Map emptied when full: an LRU's bookkeeping on every hit showed in the PUT
    // profile, and a miss only costs the parse.
    const keys = new Map<string, { key: string; directory: boolean }>();
    const target = (request: FastifyRequest): { key: string; directory: boolean } => {
      const raw = request.raw.url ?? '';
      const q = raw.indexOf('?');
      const pathPart = q === -1 ? raw : raw.slice(0, q);
      let parsed = keys.get(pathPart);
      if (parsed === undefined) {
        parsed = keyFromUrl(pathPart, PREFIX);
        if (pathPart.length <= 512) {
          if (keys.size >= KEY_CACHE_ENTRIES) keys.clear();
          keys.set(pathPart, parsed);
        }
      }
      return parsed;
    };

    const readCurrent = async (key: string): Promise<Uint8Array | undefined> => {
      try {
        return await backend.readFile(key);
      } catch (error) {
        if (error instanceof StorageError && error.code === 'ENOENT') return undefined;
        throw error;
      }
    };

    const hasPreconditions = (request: FastifyRequest): boolean => request.headers['if-match'] !== undefined || request.headers['if-none-match'] !== undefined;

    /** 412 unless the headers hold for the current content's ETag (`undefined`: no file). */
    const evaluatePreconditions = (request: FastifyRequest, etag: string | undefined): void => {
      const ifMatch = request.headers['if-match'];
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifMatch !== undefined && !matches(ifMatch, etag)) {
        throw new HttpError(412, 'EPRECONDITION', `If-Match failed: the file ${etag === undefined ? 'does not exist' : `has ETag ${etag}`}`, { field: 'if-match' });
      }
      if (ifNoneMatch !== undefined && matches(ifNoneMatch, etag)) {
        throw new HttpError(412, 'EPRECONDITION', `If-None-Match failed: the file exists with ETag ${etag}`, { field: 'if-none-match' });
      }
    };

    /** Evaluates If-Match / If-None-Match for a write to `key` (412 when they fail). */
    const checkPreconditions = async (request: FastifyRequest, key: string): Promise<void> => {
      if (!hasPreconditions(request)) return;
      const current = await readCurrent(key);
      evaluatePreconditions(request, current === undefined ? undefined : etagOf(current));
    };

    /**
     * A conditional PUT on a backend with conditional writes (S3): the headers are evaluated
     * against the version read, and the write is then conditioned on that very version
     * (`ifMatch` its backend ETag, or `ifNoneMatch: '*'` when there was none), so the store
     * refuses it if anyone — another server process included — wrote in between.
     */
    const conditionalPut = async (store: ConditionalWriteBackend, request: FastifyRequest, key: string, data: Uint8Array): Promise<void> => {
      let current: { data: Uint8Array; etag: string } | undefined;
      try {
        current = await store.readFileWithEtag(key);
      } catch (error) {
        if (!(error instanceof StorageError && error.code === 'ENOENT')) throw error;
      }
      evaluatePreconditions(request, current === undefined ? undefined : etagOf(current.data));
      try {
        await store.writeFileIf(key, data, current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag });
      } catch (error) {
        if (error instanceof StorageError && (error.code === 'ECONFLICT' || error.code === 'EEXIST')) {
          const field = request.headers['if-match'] !== undefined ? 'if-match' : 'if-none-match';
          throw new HttpError(412, 'EPRECONDITION', `${field === 'if-match' ? 'If-Match' : 'If-None-Match'} failed: the file changed while this request was writing it`, { field });
        }
        throw error;
      }
    };

    const denyReserved = (key: string): void => {
      if (ctx.isReserved(key)) throw new HttpError(403, 'EACCES', `'${key.split('/')[0]}/' belongs to another route family; the files routes do not write there`, { field: 'path' });
    };

    app.put(
      `${PREFIX}*`,
      {
        validatorCompiler: unfailingStrings,
        schema: {
          tags: ['files'],
          summary: 'Write a file (raw body, atomic and durable when answered) or, with a trailing /, create a directory',
          params: wildcard,
          headers: { type: 'object', properties: { 'if-match': { type: 'string' }, 'if-none-match': { type: 'string' } } },
          response: {
            200: {
              type: 'object',
              required: ['path'],
              properties: { path: { type: 'string' }, size: { type: 'integer' }, etag: { type: 'string' }, directory: { type: 'boolean' } },
            },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { key, directory } = target(request);
        if (key === '') {
          if (directory) return { path: '', directory: true };
        }
        denyReserved(key);
        if (directory) {
          await chain.write(key, () => backend.createDirectory(key));
          return { path: key, directory: true };
        }
        const body = request.body;
        const data = body === undefined || body === null ? new Uint8Array(0) : (body as Buffer);
        if (!(data instanceof Uint8Array)) throw new HttpError(400, 'EINVAL', 'body must be raw bytes');
        const etag = etagOf(data);
        // Read before the write: the writer thread may take the body's buffer.
        const size = data.byteLength;
        await chain.write(key, async () => {
          if (conditional !== undefined && hasPreconditions(request)) return conditionalPut(conditional, request, key, data);
          await checkPreconditions(request, key);
          cache?.forget(key);
          await ctx.writeFile(key, data);
        });
        // The answer as a string with its type set: fastify sends it as is, without looking
        // up the route's serializer for the status (the body matches the 200 schema above).
        return reply
          .header('etag', etag)
          .type('application/json; charset=utf-8')
          .send(`{"path":${JSON.stringify(key)},"size":${size},"etag":${JSON.stringify(etag)}}`);
      },
    );

    const getSchema = {
      tags: ['files'],
      summary: 'Read a file (raw bytes; Range, If-None-Match), stat it (?stat=1), or list a directory (trailing /)',
      params: wildcard,
      querystring: fileQuery,
      headers: { type: 'object', properties: { range: { type: 'string' }, 'if-none-match': { type: 'string' } } },
      response: {
        200: binaryResponse,
        206: binaryResponse,
        304: { description: 'Not modified (If-None-Match matched)', type: 'null' },
        ...errorResponses,
      },
    };

    app.get(`${PREFIX}*`, { schema: getSchema, exposeHeadRoute: false }, async (request, reply) => {
      const { key, directory } = target(request);
      const query = request.query as FileQuery;
      const pending = chain.settled(key);
      if (pending !== undefined) await pending;
      if (isOn(query.stat)) return sendStat(reply, backend, key);
      if (directory) {
        const names = await backend.listFiles(key, isOn(query.recursive) ? { recursive: true } : {});
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(names));
      }
      const range = request.headers.range;
      if (range !== undefined && caps.readRange && caps.stat && backend.readRange !== undefined && backend.stat !== undefined) {
        const read = await readRangeConsistently(backend, key, range);
        if (read.kind === 'unsatisfiable') return unsatisfiable(reply, read.size);
        if (read.kind === 'range') {
          return sendBytes(reply.code(206).header('content-range', `bytes ${read.range.start}-${read.range.end}/${read.size}`), read.bytes);
        }
      }
      const whole = await readWhole(key);
      if (whole === undefined) {
        const { size, stream } = await large!.open(key);
        return reply.type('application/octet-stream').header('accept-ranges', 'bytes').header('content-length', size).send(stream);
      }
      const { data, etag } = whole;
      void reply.header('etag', etag).header('accept-ranges', 'bytes');
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && matches(ifNoneMatch, etag)) return reply.code(304).send();
      if (range !== undefined) {
        const parsed = parseRange(range, data.byteLength);
        if (parsed === 'unsatisfiable') return unsatisfiable(reply, data.byteLength);
        if (parsed !== undefined) {
          return sendBytes(reply.code(206).header('content-range', `bytes ${parsed.start}-${parsed.end}/${data.byteLength}`), data.subarray(parsed.start, parsed.end + 1));
        }
      }
      return sendBytes(reply, data);
    });

    app.head(
      `${PREFIX}*`,
      { schema: { tags: ['files'], summary: 'Headers of GET (Content-Length, ETag) without the body', params: wildcard, querystring: fileQuery } },
      async (request, reply) => {
        const { key, directory } = target(request);
        await chain.settled(key);
        if (directory) {
          const names = await backend.listFiles(key);
          return reply.type('application/json; charset=utf-8').header('content-length', Buffer.byteLength(JSON.stringify(names))).send();
        }
        const whole = await readWhole(key);
        if (whole === undefined) {
          // The size of the opened descriptor, after the path checks (a stat of the path follows symlinks anywhere).
          const { size, stream } = await large!.open(key);
          stream.destroy();
          return reply.type('application/octet-stream').header('accept-ranges', 'bytes').header('content-length', size).send();
        }
        const { data, etag } = whole;
        return reply
          .type('application/octet-stream')
          .header('etag', etag)
          .header('accept-ranges', 'bytes')
          .header('content-length', data.byteLength)
          .send();
      },
    );

    app.delete(
      `${PREFIX}*`,
      {
        validatorCompiler: unfailingStrings,
        schema: {
          tags: ['files'],
          summary: 'Delete a file (idempotent: a missing file is 204 too; If-Match supported)',
          params: wildcard,
          headers: { type: 'object', properties: { 'if-match': { type: 'string' } } },
          response: { 204: { description: 'Deleted (or was not there)', type: 'null' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { key, directory } = target(request);
        if (directory) throw new StorageError('EISDIR', 'cannot delete a directory', { path: key });
        denyReserved(key);
        await chain.write(key, async () => {
          await checkPreconditions(request, key);
          cache?.forget(key);
          await backend.deleteFile(key);
        });
        return reply.code(204).send();
      },
    );

    app.post(
      `${PREFIX}*`,
      {
        schema: {
          tags: ['files'],
          summary: 'Rename (move) a file to the key in ?to=, atomically, replacing the destination unless ?overwrite=0 (If-Match on the source supported)',
          description:
            'Missing parents of the destination are created. Answers `{ from, path }`. 404 ENOENT when the source does not exist; 409 EISDIR when the source (or the destination) is a directory, ENOTDIR when a parent of the destination is a file, EEXIST with `?overwrite=0` when the destination exists; 400 EINVAL for a key that breaks the path rules (`field` says which); 412 when If-Match fails; 501 ENOTSUP when the backend has no `rename`. Error bodies name the key at fault in `path`.',
          params: wildcard,
          querystring: {
            type: 'object',
            required: ['to'],
            properties: {
              to: { type: 'string', minLength: 1, description: 'The destination key (`/`-separated, percent-encoded as a query value)' },
              overwrite: flag('`0`: refuse (409 EEXIST) when the destination exists; default `1`, replace it'),
            },
            additionalProperties: false,
          },
          headers: { type: 'object', properties: { 'if-match': { type: 'string' } } },
          response: {
            200: { type: 'object', required: ['from', 'path'], properties: { from: { type: 'string' }, path: { type: 'string' } } },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { key: from, directory } = target(request);
        const query = request.query as { to: string; overwrite?: string };
        if (directory) throw new StorageError('EISDIR', 'only files can be renamed', { path: from });
        // Decoded again from the raw target: the query parser would turn bad UTF-8 into U+FFFD.
        const rawTo = strictQueryParam(request.raw.url ?? '', 'to') ?? query.to;
        let to: string;
        try {
          to = parseKey(rawTo).join('/');
        } catch (error) {
          if (!(error instanceof StorageError)) throw error;
          // The rule that was broken, without the code and location parseKey put around it.
          const rule = error.message.replace(/^[A-Z]+: /, '').replace(/ \(path .*\)$/, '');
          throw new StorageError(error.code, `the destination breaks the path rules: ${rule}`, { path: rawTo, field: 'to' });
        }
        denyReserved(from);
        denyReserved(to);
        if (!caps.rename || backend.rename === undefined) throw new HttpError(501, 'ENOTSUP', 'this server\'s backend cannot rename files', { field: 'to' });
        const rename = backend.rename.bind(backend);
        const refuseExisting = query.overwrite === '0' || query.overwrite === 'false';
        await chain.write([from, to], async () => {
          await checkPreconditions(request, from);
          if (refuseExisting && from !== to && (await backend.exists(to))) throw new StorageError('EEXIST', 'the destination exists (overwrite=0)', { path: to, field: 'to' });
          cache?.forget(from);
          cache?.forget(to);
          await rename(from, to);
        });
        return { from, path: to };
      },
    );
  },
};
export default files;

/** The backend's conditional-write capability (`writeFileIf`, `readFileWithEtag`), when it declares one. */
function conditionalWrites(backend: StorageBackend): ConditionalWriteBackend | undefined {
  const b = backend as Partial<ConditionalWriteBackend> & { supports?: { conditionalWrite?: boolean } };
  return b.supports?.conditionalWrite === true && typeof b.writeFileIf === 'function' && typeof b.readFileWithEtag === 'function' ? (b as ConditionalWriteBackend) : undefined;
}

function sendBytes(reply: FastifyReply, data: Uint8Array): FastifyReply {
  return reply.type('application/octet-stream').send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

function unsatisfiable(reply: FastifyReply, size: number): FastifyReply {
  return reply
    .code(416)
    .header('content-range', `bytes */${size}`)
    .send({ error: { code: 'ERANGE', message: `range not satisfiable: the file has ${size} bytes`, field: 'range' } });
}

async function sendStat(reply: FastifyReply, backend: StorageBackend, key: string): Promise<FastifyReply> {
  let body: { exists: boolean; size?: number; mtimeMs?: number; isDirectory?: boolean };
  if (key === '') {
    body = { exists: true, size: 0, mtimeMs: 0, isDirectory: true };
  } else if (backend.stat !== undefined && capabilitiesOf(backend).stat) {
    try {
      const st = await backend.stat(key);
      body = { exists: true, size: st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory };
    } catch (error) {
      if (!(error instanceof StorageError && error.code === 'ENOENT')) throw error;
      body = { exists: false };
    }
  } else {
    body = { exists: await backend.exists(key) };
  }
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export type { ServerContext };
