import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StorageError } from '@store/backend-core';
import type { EventLog } from '@store/eventlog';
import type { ServerContext } from '../context.js';
import { HttpError, limitError } from '../http-error.js';
import { checkName } from '../key.js';
import type { Lease } from '../resource-registry.js';
import type { RouteFamily } from './family.js';
import { binaryResponse, errorResponses, flag, isOn } from './schemas.js';

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, description: 'Log name: one path segment' } },
} as const;

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines']);

/** Opens (or finds open) the log `name` under `<data>/logs/`; reads of a log that does not exist are ENOENT, never a create. */
async function leaseLog(ctx: ServerContext, name: string, create: boolean): Promise<Lease<EventLog>> {
  const dir = path.join(ctx.dataDir, 'logs', name);
  const key = `log:${name}`;
  if (!create && !ctx.resources.has(key)) {
    const st = await stat(dir).catch(() => undefined);
    if (st === undefined || !st.isDirectory()) throw new StorageError('ENOENT', `no event log named '${name}'`, { path: `logs/${name}` });
  }
  // 'batch': an append is answered once an fdatasync covering it completed (group commit).
  // Loaded on first use, like every package behind a route family, to keep start-up short.
  return ctx.resources.acquire(key, async () => (await import('@store/eventlog')).EventLog.open(dir, { durability: 'batch' }));
}

/** The events of a request body: one raw event, a JSON array of base64 strings, or NDJSON lines. */
function eventsOf(contentType: string | undefined, body: Buffer): { batch: boolean; events: Buffer[] } {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'EINVAL', 'body is not valid JSON (a batch is a JSON array of base64 strings)', { field: 'body' });
    }
    if (!Array.isArray(parsed)) throw new HttpError(400, 'EINVAL', 'a JSON batch must be an array of base64 strings', { field: 'body' });
    const events = parsed.map((item, i) => {
      if (typeof item === 'string') {
        // Canonical padded base64 only (RFC 4648 §4, pad bits zero): decoding and encoding
        // again gives the same text. Node's decoder skips what is not base64 and accepts the
        // URL alphabet, so the comparison is the check; one native encode costs less than a
        // regular expression over every character, which the append profile showed.
        const bytes = Buffer.from(item, 'base64');
        if (bytes.toString('base64') === item) return bytes;
      }
      throw new HttpError(400, 'EINVAL', `batch[${i}] is not a base64 string`, { field: `[${i}]` });
    });
    return { batch: true, events };
  }
  if (NDJSON_TYPES.has(type)) {
    const events: Buffer[] = [];
    let start = 0;
    while (start < body.length) {
      let end = body.indexOf(0x0a, start);
      if (end === -1) end = body.length;
      let lineEnd = end;
      if (lineEnd > start && body[lineEnd - 1] === 0x0d) lineEnd--;
      if (lineEnd > start) events.push(body.subarray(start, lineEnd));
      start = end + 1;
    }
    return { batch: true, events };
  }
  return { batch: false, events: [body] };
}

/**
 * Event logs under `<data>/logs/<name>/` (@store/eventlog): append one event or a batch,
 * read a range as NDJSON (streamed; `follow=1` tails), get one event, stats, verify.
 */
const logs: RouteFamily = {
  name: 'logs',
  prefix: '/v1/logs',
  async plugin(app, { ctx }) {
    ctx.reserveDirectory('logs');
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    app.post(
      '/:name/events',
      {
        schema: {
          tags: ['logs'],
          summary: 'Append: a raw body is one event; a JSON array of base64 strings or NDJSON lines is a batch. Answered once durable (fdatasync).',
          params: nameParams,
          response: {
            200: {
              type: 'object',
              properties: {
                id: { type: 'integer', description: 'Id of the one event appended' },
                first: { type: 'integer' },
                last: { type: 'integer' },
                count: { type: 'integer' },
              },
            },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const name = checkName((request.params as { name: string }).name, 'name');
        const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
        const { batch, events } = eventsOf(request.headers['content-type'], body);
        if (events.length > ctx.limits.maxBatchEvents) {
          throw limitError(400, 'maxBatchEvents', `batch of ${events.length} events is larger than ${ctx.limits.maxBatchEvents}`);
        }
        if (batch && events.length === 0) throw new HttpError(400, 'EINVAL', 'the batch holds no event', { field: 'body' });
        const lease = await leaseLog(ctx, name, true);
        try {
          if (!batch) return { id: await lease.value.append(events[0]!) };
          const first = await lease.value.appendBatch(events);
          return { first, last: first + events.length - 1, count: events.length };
        } finally {
          lease.release();
        }
      },
    );

    app.get(
      '/:name/events',
      {
        schema: {
          tags: ['logs'],
          summary: 'Events with from ≤ id < to as NDJSON lines {"id","data"} (data base64), streamed; follow=1 keeps the stream open and sends new events',
          params: nameParams,
          querystring: {
            type: 'object',
            properties: {
              from: { type: 'integer', minimum: 0, default: 0 },
              to: { type: 'integer', minimum: 0 },
              follow: flag('`1`: at the end of the log, keep the stream open and send new events as they are appended'),
            },
            additionalProperties: false,
          },
          response: { 200: { description: 'NDJSON', content: { 'application/x-ndjson': { schema: { type: 'string' } } } }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const name = checkName((request.params as { name: string }).name, 'name');
        const { from, to, follow: followFlag } = request.query as { from: number; to?: number; follow?: string };
        const follow = isOn(followFlag);
        const lease = await leaseLog(ctx, name, false);
        const abort = new AbortController();
        const stop = (): void => abort.abort();
        ctx.shutdownSignal.addEventListener('abort', stop, { once: true });
        reply.raw.once('close', stop);
        const log = lease.value;
        async function* lines(): AsyncGenerator<string> {
          try {
            const batches = log.iterBatches(from, to ?? Number.POSITIVE_INFINITY, { follow, signal: abort.signal, maxBatch: 1024 });
            for await (const batch of batches) {
              let chunk = '';
              for (const e of batch) chunk += `{"id":${e.id},"data":"${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('base64')}"}\n`;
              yield chunk;
            }
          } catch (error) {
            // A stop (client gone, server shutting down) ends the stream cleanly.
            if (!abort.signal.aborted) throw error;
          } finally {
            ctx.shutdownSignal.removeEventListener('abort', stop);
            lease.release();
          }
        }
        if (ctx.shutdownSignal.aborted) abort.abort();
        return reply.type('application/x-ndjson').send(Readable.from(lines()));
      },
    );

    app.get(
      '/:name/events/:id',
      {
        schema: {
          tags: ['logs'],
          summary: 'One event, raw bytes',
          params: { type: 'object', required: ['name', 'id'], properties: { name: { type: 'string' }, id: { type: 'integer', minimum: 0 } } },
          response: { 200: binaryResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { name: raw, id } = request.params as { name: string; id: number };
        const name = checkName(raw, 'name');
        const lease = await leaseLog(ctx, name, false);
        try {
          const data = await lease.value.get(id);
          return reply.type('application/octet-stream').send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        } finally {
          lease.release();
        }
      },
    );

    app.get(
      '/:name/stats',
      {
        schema: {
          tags: ['logs'],
          summary: 'Segments, events, bytes, ids, fsync count, cache, damage, what recovery did',
          params: nameParams,
          response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const name = checkName((request.params as { name: string }).name, 'name');
        const lease = await leaseLog(ctx, name, false);
        try {
          const { directory: _directory, ...stats } = await lease.value.stats();
          return reply.type('application/json; charset=utf-8').send(ctx.redact(JSON.stringify({ name, ...stats })));
        } finally {
          lease.release();
        }
      },
    );

    app.get(
      '/:name/verify',
      {
        schema: {
          tags: ['logs'],
          summary: 'Reads every record of every segment and lists problems (changes nothing)',
          params: nameParams,
          response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const name = checkName((request.params as { name: string }).name, 'name');
        const lease = await leaseLog(ctx, name, false);
        const abort = new AbortController();
        reply.raw.once('close', () => abort.abort());
        try {
          const report = await lease.value.verify({ signal: abort.signal });
          return reply.type('application/json; charset=utf-8').send(ctx.redact(JSON.stringify({ name, ok: report.problems.length === 0, ...report })));
        } finally {
          lease.release();
        }
      },
    );
  },
};
export default logs;
