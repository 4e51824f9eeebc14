import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { parseKey, StorageError } from '@store/backend-core';
import type { SummaryWriter } from '@store/tfevents';
import type { ServerContext } from '../context.js';
import { HttpError, limitError } from '../http-error.js';
import { RunIndexCache, tfevents, type SeriesKind } from '../accumulate.js';
import type { RouteFamily } from './family.js';
import { errorResponses } from './schemas.js';

const runQuery = {
  type: 'object',
  required: ['run'],
  properties: { run: { type: 'string', minLength: 1, description: "Run: a path under the logdir, '/'-separated ('.' is the logdir itself)" } },
} as const;
const seriesQuery = {
  type: 'object',
  required: ['run', 'tag'],
  properties: { run: runQuery.properties.run, tag: { type: 'string', minLength: 1 } },
} as const;

const point = (value: object) =>
  ({
    type: 'array',
    items: { type: 'object', required: ['step', 'wallTime'], properties: { step: { type: 'integer' }, wallTime: { type: 'number' }, ...value } },
  }) as const;

/** The run directory for a run name; names follow the key rules, so they stay inside the logdir. */
function runDir(ctx: ServerContext, run: string): string {
  if (run === '.') return ctx.logdir;
  let segments: string[];
  try {
    segments = parseKey(run);
  } catch (error) {
    throw new HttpError(400, 'EINVAL', `run: ${(error as Error).message}`, { field: 'run' });
  }
  return path.join(ctx.logdir, ...segments);
}

async function existingRun(ctx: ServerContext, run: string): Promise<string> {
  const dir = runDir(ctx, run);
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) throw new StorageError('ENOENT', `no run '${run}'`, { field: 'run' });
  return dir;
}

async function series(ctx: ServerContext, cache: RunIndexCache, request: FastifyRequest, kind: SeriesKind) {
  const { run, tag } = request.query as { run: string; tag: string };
  const dir = await existingRun(ctx, run);
  const points = (await cache.get(dir)).series.get(RunIndexCache.seriesKey(kind, tag));
  if (points === undefined) throw new StorageError('ENOENT', `run '${run}' has no ${kind} tag '${tag}'`, { field: 'tag' });
  return points;
}

/** The SummaryWriter of a run, shared by every request writing to it. */
function leaseWriter(ctx: ServerContext, run: string) {
  const dir = runDir(ctx, run);
  // Events reach the file on the flush each POST awaits; the writer's own timer never needs to.
  return ctx.resources.acquire(`run:${path.relative(ctx.logdir, dir) || '.'}`, async () => new (await tfevents()).SummaryWriter({ logDir: dir, maxQueue: 1_000_000, flushMs: 3_600_000 }));
}

const finite = { type: 'number' } as const;
const stepSchema = { type: 'integer', minimum: 0, default: 0 } as const;
const wallTimeSchema = { type: 'number', description: 'Seconds since the epoch; default now' } as const;

/**
 * TensorBoard runs under `ctx.logdir` (@store/tfevents): list runs and tags, read scalar /
 * histogram / text series the way TensorBoard does, and log new ones. Run names may hold
 * `/`, so they travel in the `run` query parameter.
 */
const runs: RouteFamily = {
  name: 'runs',
  prefix: '/v1',
  async plugin(app, { ctx }) {
    const cache = new RunIndexCache();
    // A logdir inside the data directory belongs to these routes, not to the files routes.
    const inside = path.relative(ctx.dataDir, ctx.logdir);
    if (inside !== '' && !inside.startsWith('..') && !path.isAbsolute(inside)) ctx.reserveDirectory(inside.split(path.sep)[0]!);
    const checkBatch = async (request: FastifyRequest): Promise<void> => {
      if (Array.isArray(request.body) && request.body.length > ctx.limits.maxBatchEvents) {
        throw limitError(400, 'maxBatchEvents', `batch of ${request.body.length} values is larger than ${ctx.limits.maxBatchEvents}`);
      }
    };

    app.get(
      '/runs',
      {
        schema: {
          tags: ['runs'],
          summary: 'Every run under the logdir (a directory holding event files) with its tags and their kinds',
          response: {
            200: {
              type: 'array',
              items: { type: 'object', required: ['run', 'tags'], properties: { run: { type: 'string' }, tags: { type: 'object', additionalProperties: { type: 'string' } } } },
            },
            ...errorResponses,
          },
        },
      },
      async () => {
        const exists = await stat(ctx.logdir).catch(() => undefined);
        if (exists === undefined) return [];
        const names = await (await tfevents()).listRuns(ctx.logdir);
        const out = [];
        for (const run of names) out.push({ run, tags: Object.fromEntries((await cache.get(path.join(ctx.logdir, run))).kinds) });
        return out;
      },
    );

    app.get(
      '/scalars',
      {
        schema: {
          tags: ['runs'],
          summary: "A scalar series as TensorBoard's data provider serves it (float32 values widened exactly)",
          querystring: seriesQuery,
          response: { 200: point({ value: finite }), ...errorResponses },
        },
      },
      async (request) => (await series(ctx, cache, request, 'scalar')).map((p) => ({ step: p.step, wallTime: p.wallTime, value: p.value })),
    );

    app.get(
      '/histograms',
      {
        schema: {
          tags: ['runs'],
          summary: 'A histogram series: HistogramProto fields or TF2 buckets per step',
          querystring: seriesQuery,
          response: { 200: point({ histogram: { type: 'object', additionalProperties: true } }), ...errorResponses },
        },
      },
      async (request) => (await series(ctx, cache, request, 'histogram')).map((p) => ({ step: p.step, wallTime: p.wallTime, histogram: p.value })),
    );

    app.get(
      '/text',
      {
        schema: {
          tags: ['runs'],
          summary: 'A text series (the text plugin)',
          querystring: seriesQuery,
          response: { 200: point({ text: { type: 'string' } }), ...errorResponses },
        },
      },
      async (request) => (await series(ctx, cache, request, 'text')).map((p) => ({ step: p.step, wallTime: p.wallTime, text: p.value })),
    );

    const okResponse = { 200: { type: 'object', properties: { run: { type: 'string' }, count: { type: 'integer' } } }, ...errorResponses };

    app.post(
      '/scalars',
      {
        preValidation: checkBatch,
        schema: {
          tags: ['runs'],
          summary: 'Log scalars to a run (created if missing); answered once the events are in the file',
          querystring: runQuery,
          body: {
            type: 'array',
            items: {
              type: 'object',
              required: ['tag', 'value'],
              properties: { tag: { type: 'string', minLength: 1 }, value: finite, step: stepSchema, wallTime: wallTimeSchema },
              additionalProperties: false,
            },
          },
          response: okResponse,
        },
      },
      async (request) => {
        const { run } = request.query as { run: string };
        const body = request.body as Array<{ tag: string; value: number; step: number; wallTime?: number }>;
        return write(ctx, run, body.length, (w) => {
          for (const s of body) w.addScalar(s.tag, s.value, s.step, s.wallTime);
        });
      },
    );

    app.post(
      '/histograms',
      {
        preValidation: checkBatch,
        schema: {
          tags: ['runs'],
          summary: 'Log histograms to a run: `values` (binned by the server) or a pre-binned `histogram`',
          querystring: runQuery,
          body: {
            type: 'array',
            items: {
              type: 'object',
              required: ['tag'],
              properties: {
                tag: { type: 'string', minLength: 1 },
                step: stepSchema,
                wallTime: wallTimeSchema,
                values: { type: 'array', items: finite },
                histogram: {
                  type: 'object',
                  required: ['min', 'max', 'num', 'sum', 'sumSquares', 'bucketLimits', 'bucketCounts'],
                  properties: {
                    min: finite,
                    max: finite,
                    num: finite,
                    sum: finite,
                    sumSquares: finite,
                    bucketLimits: { type: 'array', items: finite },
                    bucketCounts: { type: 'array', items: finite },
                  },
                  additionalProperties: false,
                },
              },
              oneOf: [{ required: ['values'] }, { required: ['histogram'] }],
              additionalProperties: false,
            },
          },
          response: okResponse,
        },
      },
      async (request) => {
        const { run } = request.query as { run: string };
        type H = { tag: string; step: number; wallTime?: number; values?: number[]; histogram?: Parameters<SummaryWriter['addHistogramRaw']>[1] };
        const body = request.body as H[];
        return write(ctx, run, body.length, (w) => {
          for (const h of body) {
            if (h.histogram !== undefined) w.addHistogramRaw(h.tag, h.histogram, h.step, h.wallTime);
            else w.addHistogram(h.tag, h.values!, h.step, h.wallTime === undefined ? {} : { wallTime: h.wallTime });
          }
        });
      },
    );

    app.post(
      '/text',
      {
        preValidation: checkBatch,
        schema: {
          tags: ['runs'],
          summary: 'Log text to a run',
          querystring: runQuery,
          body: {
            type: 'array',
            items: {
              type: 'object',
              required: ['tag', 'text'],
              properties: { tag: { type: 'string', minLength: 1 }, text: { type: 'string' }, step: stepSchema, wallTime: wallTimeSchema },
              additionalProperties: false,
            },
          },
          response: okResponse,
        },
      },
      async (request) => {
        const { run } = request.query as { run: string };
        const body = request.body as Array<{ tag: string; text: string; step: number; wallTime?: number }>;
        return write(ctx, run, body.length, (w) => {
          for (const t of body) w.addText(t.tag, t.text, t.step, t.wallTime);
        });
      },
    );
  },
};
export default runs;

/**
 * Validates every value by adding them to the run's writer, then waits until they are in
 * the file (flush: survives a crash of the server process). The writer checks each value
 * before encoding it, so a bad value fails the request before anything after it is added.
 */
async function write(ctx: ServerContext, run: string, count: number, add: (w: SummaryWriter) => void) {
  const lease = await leaseWriter(ctx, run);
  try {
    add(lease.value);
    await lease.value.flush();
  } finally {
    lease.release();
  }
  return { run, count };
}
