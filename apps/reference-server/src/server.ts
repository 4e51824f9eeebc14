import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { FilesystemBackend, type StorageBackend } from '@store/backend-core';
import { bearerCheck } from './auth.js';
import { DEFAULT_LIMITS, type Limits, type ServerContext } from './context.js';
import { answerClientError } from './client-error.js';
import { FileWriter } from './file-writer.js';
import { HttpError, limitError, toHttpError } from './http-error.js';
import { ResourceRegistry } from './resource-registry.js';
import { ROUTE_FAMILIES } from './routes/index.js';

export const VERSION = '0.1.0';

export interface ServerOptions {
  /** Directory served; created if missing. */
  dataDir: string;
  /** Backend of the files routes. Default: `new FilesystemBackend(dataDir)`. */
  backend?: StorageBackend;
  /** TensorBoard log directory. Default `<dataDir>/runs`. */
  logdir?: string;
  /** When set, every route but `GET /health` needs `Authorization: Bearer <token>`. */
  token?: string;
  limits?: Partial<Limits>;
  /**
   * `false`: the files routes write on the main thread instead of a worker thread (the
   * default when the server makes its own FilesystemBackend; see src/file-writer.ts).
   */
  writerThread?: boolean;
  /** Called with errors that have no request to answer (background closes, 500s). Default: console.error. */
  onError?: (error: unknown) => void;
}

export interface StoreServer {
  readonly app: FastifyInstance;
  readonly ctx: ServerContext;
  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:8787`. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /**
   * Graceful stop: refuses new requests, ends follow streams, waits for in-flight
   * requests, runs shutdown hooks, flushes and closes every open log and writer.
   */
  close(): Promise<void>;
}

/** Builds the server (not yet listening). Everything the routes need is in `ctx`. */
export async function createServer(options: ServerOptions): Promise<StoreServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  mkdirSync(options.dataDir, { recursive: true });
  const dataDir = realpathSync(options.dataDir);
  const logdirGiven = options.logdir !== undefined;
  const logdirPath = path.resolve(options.logdir ?? path.join(dataDir, 'runs'));
  if (!logdirGiven) mkdirSync(logdirPath, { recursive: true });
  let logdir = logdirPath;
  try {
    logdir = realpathSync(logdirPath);
  } catch {
    // A --logdir that does not exist yet: created by the first write to a run.
  }
  const backend = options.backend ?? new FilesystemBackend(dataDir);
  const onError = options.onError ?? ((error: unknown) => console.error('store-server:', error));
  const writeHere = (key: string, data: Uint8Array): Promise<void> => backend.writeFile(key, data);
  // The server's own FilesystemBackend writes files on a worker thread (see file-writer.ts);
  // a backend given by the caller is used as it is.
  const fileWriter = options.backend === undefined && options.writerThread !== false ? new FileWriter(dataDir, {}, writeHere, onError) : undefined;
  const resources = new ResourceRegistry({
    maxOpen: limits.maxOpenResources,
    idleCloseMs: limits.idleCloseMs,
    onError: (error, key) => onError(new Error(`closing ${key}: ${String(error)}`)),
  });
  const shutdown = new AbortController();
  const hooks: Array<() => Promise<void> | void> = [];
  const reserved = new Set<string>();
  const roots = [...new Set([dataDir, path.resolve(options.dataDir), logdir, logdirPath])].sort((a, b) => b.length - a.length);
  const redact = (message: string): string => {
    let out = message;
    for (const root of roots) out = out.split(root).join(root === logdir || root === logdirPath ? '<logdir>' : '<data>');
    return out;
  };
  const ctx: ServerContext = {
    dataDir,
    backend,
    writeFile: fileWriter === undefined ? writeHere : (key, data) => fileWriter.writeFile(key, data),
    logdir,
    limits,
    resources,
    shutdownSignal: shutdown.signal,
    onShutdown: (hook) => void hooks.push(hook),
    reserveDirectory: (name) => void reserved.add(name),
    // Called on every write of the files routes: no split of the key into an array.
    isReserved: (key) => {
      if (reserved.size === 0) return false;
      const slash = key.indexOf('/');
      return reserved.has(slash === -1 ? key : key.slice(0, slash));
    },
    redact,
  };

  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    // Wildcard file paths are long; the URL limit below is the one that applies.
    routerOptions: { maxParamLength: limits.maxUrlBytes },
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toHttpError(error, redact);
      void (reply as unknown as { code(n: number): { send(b: unknown): unknown } }).code(status).send(body);
    },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  });

  // Response schemas document the API (OpenAPI); answers are built to match them by the
  // routes. Compiling a fast-json-stringify serializer per route and status costs seconds
  // of start-up on a small machine for no gain here, so JSON.stringify serializes.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  let closing = false;
  const check = options.token === undefined || options.token === '' ? undefined : bearerCheck(options.token);
  // The hooks run on every request, so they are callback-style: an async hook costs a
  // promise and a microtask turn per request, which the GET benchmark measured.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('cache-control', 'no-store');
    try {
      if (closing) throw new HttpError(503, 'ECLOSED', 'the server is shutting down', { headers: { connection: 'close' } });
      const url = request.raw.url ?? '';
      // A URL is at most 3 UTF-8 bytes per UTF-16 unit: only a long one needs counting.
      if (url.length * 3 > limits.maxUrlBytes && Buffer.byteLength(url, 'utf8') > limits.maxUrlBytes) {
        throw limitError(414, 'maxUrlBytes', `request target is longer than ${limits.maxUrlBytes} bytes`);
      }
      if (check !== undefined && !(request.method === 'GET' && request.url === '/health') && request.routeOptions.config.public !== true) check(request.headers.authorization);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });

  // While stopping, every answer closes its connection, so keep-alive clients move on.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((error, _request, reply) => {
    const { status, body, headers } = toHttpError(error, redact);
    if (status >= 500 && status !== 503) onError(error);
    if (headers !== undefined) void reply.headers(headers);
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: { code: 'ENOENT', message: `no route ${request.method} ${redact(request.url.split('?')[0] ?? '')}` } });
  });

  app.addSchema({
    $id: 'ErrorBody',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, limit: { type: 'string' }, field: { type: 'string' }, path: { type: 'string' } },
      },
    },
  });
  await app.register(swagger, {
    exposeHeadRoutes: true,
    openapi: {
      openapi: '3.0.3',
      info: { title: '@store reference server', version: VERSION, description: 'Files of a StorageBackend, event logs and TensorBoard runs over HTTP.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(check === undefined ? {} : { security: [{ bearer: [] }] }),
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  for (const family of ROUTE_FAMILIES) await app.register(family.plugin, { ctx, ...(family.prefix === undefined ? {} : { prefix: family.prefix }) });
  await app.ready();

  let closed: Promise<void> | undefined;
  return {
    app,
    ctx,
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      const address = await app.listen({ host, port });
      return address;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        shutdown.abort();
        // Connections that finish their last request (or stream) during the stop become
        // idle keep-alive connections; close them as they appear so the stop is not held.
        const sweeper = setInterval(() => app.server.closeIdleConnections(), 25);
        try {
          await app.close();
        } finally {
          clearInterval(sweeper);
        }
        for (const hook of hooks) await hook();
        await resources.closeAll();
        // Every request has finished: no write is in flight on the writer thread.
        await fileWriter?.close();
        // A backend given by the caller stays the caller's to close.
        if (options.backend === undefined) await backend.close?.();
      })();
      return closed;
    },
  };
}
