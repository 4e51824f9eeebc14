import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { parseKey, StorageError } from '@store/backend-core';
import type { ImageEvent } from '@store/tfevents';
import { RunIndexCache, type Point } from '../accumulate.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../http-error.js';
import type { RouteFamily } from './family.js';
import { binaryResponse, errorResponses } from './schemas.js';

/** The directory of a run ('.' = the logdir); names follow the key rules, so they stay inside it. */
async function runDirectory(ctx: ServerContext, run: string): Promise<string> {
  let dir = ctx.logdir;
  if (run !== '.') {
    try {
      dir = path.join(ctx.logdir, ...parseKey(run));
    } catch (error) {
      throw new HttpError(400, 'EINVAL', `run: ${(error as Error).message}`, { field: 'run' });
    }
  }
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) throw new StorageError('ENOENT', `no run '${run}'`, { field: 'run' });
  return dir;
}

async function imageSeries(ctx: ServerContext, cache: RunIndexCache, request: FastifyRequest): Promise<Array<Point<ImageEvent>>> {
  const { run, tag } = request.query as { run: string; tag: string };
  const points = (await cache.get(await runDirectory(ctx, run))).series.get(RunIndexCache.seriesKey('image', tag));
  if (points === undefined) throw new StorageError('ENOENT', `run '${run}' has no image tag '${tag}'`, { field: 'tag' });
  return points as Array<Point<ImageEvent>>;
}

function contentType(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'image/gif';
  return 'application/octet-stream';
}

const seriesQuery = {
  type: 'object',
  required: ['run', 'tag'],
  properties: { run: { type: 'string', minLength: 1, description: "Run: a path under the logdir ('.' is the logdir itself)" }, tag: { type: 'string', minLength: 1 } },
} as const;

/**
 * Images of TensorBoard runs (the images plugin), for the web console and anyone else:
 * the list of image values of a tag (one per step, as TensorBoard keeps them) and the
 * encoded bytes of one of them. Read-only; the same run names and rules as /v1/scalars.
 */
const images: RouteFamily = {
  name: 'images',
  prefix: '/v1/images',
  async plugin(app, { ctx }) {
    // Its own index cache (same reading rules as /v1/scalars: TensorBoard's purge on restart).
    const cache = new RunIndexCache(8);
    app.get(
      '/',
      {
        schema: {
          tags: ['runs'],
          summary: 'The image values of a tag: step, wall time, size and how many images each holds',
          querystring: seriesQuery,
          response: {
            200: {
              type: 'array',
              items: {
                type: 'object',
                required: ['step', 'wallTime', 'width', 'height', 'count'],
                properties: { step: { type: 'integer' }, wallTime: { type: 'number' }, width: { type: 'integer' }, height: { type: 'integer' }, colorspace: { type: 'integer' }, count: { type: 'integer' } },
              },
            },
            ...errorResponses,
          },
        },
      },
      async (request) => (await imageSeries(ctx, cache, request)).map((p) => ({ step: p.step, wallTime: p.wallTime, width: p.value.width, height: p.value.height, colorspace: p.value.colorspace, count: p.value.images.length })),
    );

    app.get(
      '/data',
      {
        schema: {
          tags: ['runs'],
          summary: 'The encoded bytes (PNG/JPEG as stored) of image `image` of value `index` (0-based position in the list above)',
          querystring: { ...seriesQuery, required: ['run', 'tag', 'index'], properties: { ...seriesQuery.properties, index: { type: 'integer', minimum: 0 }, image: { type: 'integer', minimum: 0, default: 0 } } },
          response: { 200: binaryResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { index, image } = request.query as { index: number; image: number };
        const value = (await imageSeries(ctx, cache, request))[index]?.value;
        const bytes = value?.images[image];
        if (bytes === undefined) throw new StorageError('ENOENT', `no image ${image} at index ${index}`, { field: 'index' });
        return reply.type(contentType(bytes)).header('x-content-type-options', 'nosniff').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
    );
  },
};
export default images;
