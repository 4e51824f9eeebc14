/**
 * Route families: one file per family, registered in the order below.
 *
 * ## Adding a route family (e.g. for a new package)
 *
 * 1. Create `src/routes/<family>.ts` exporting a `RouteFamily`:
 *
 *    ```ts
 *    import type { RouteFamily } from './family.js';
 *
 *    const family: RouteFamily = {
 *      name: 'vectors',
 *      prefix: '/v1/vectors',            // optional; routes below are relative to it
 *      async plugin(app, { ctx }) {
 *        ctx.reserveDirectory('vectors'); // the files routes will not write <data>/vectors/
 *        app.get('/:name', { schema: { params: { ... }, response: { ... } } }, async (req) => { ... });
 *      },
 *    };
 *    export default family;
 *    ```
 *
 * 2. Add one line to `ROUTE_FAMILIES` below.
 *
 * The plugin is a fastify plugin in its own encapsulated context (its content-type
 * parsers, hooks and decorators stay inside it). It receives `{ ctx }`, a `ServerContext`
 * (src/context.ts):
 *
 * - `ctx.dataDir`: absolute data directory; keep a family's files in `<dataDir>/<family>/`
 *   and call `ctx.reserveDirectory('<family>')` so the files routes cannot write there.
 * - `ctx.backend`: the StorageBackend of the files routes.
 * - `ctx.logdir`: the TensorBoard log directory.
 * - `ctx.limits`: `maxBodyBytes` (fastify enforces it, 413), `maxUrlBytes` (414, checked
 *   before routing), `maxBatchEvents` (check it yourself: `limitError(400, 'maxBatchEvents', …)`),
 *   `maxOpenResources`, `idleCloseMs`.
 * - `ctx.resources`: the open-resource registry. `await ctx.resources.acquire(key, open)`
 *   returns a lease (`.value`, `.release()`); one instance per key, opened lazily, closed
 *   when idle, LRU-bounded, all closed at shutdown. Prefix keys with the family (`log:`).
 * - `ctx.shutdownSignal`: aborted when shutdown starts; end long-lived streams on it.
 * - `ctx.onShutdown(hook)`: runs after in-flight requests finished, before resources close.
 * - `ctx.redact(message)`: removes host paths from a message.
 *
 * Rules every family follows: a JSON schema on every route (the OpenAPI document at
 * `/openapi.json` is generated from them, so add `tags: ['<family>']` and a `summary`);
 * throw `StorageError` (backend-core) or `HttpError` (../http-error.ts) and let the
 * server's error handler answer `{ "error": { "code", "message" } }`; never put a host
 * path in a response. Auth, the URL limit and the body limit are applied for you.
 */
import type { RouteFamily } from './family.js';
import consoleRoutes from './console.js';
import files from './files.js';
import health from './health.js';
import images from './images.js';
import logs from './logs.js';
import mvcc from './mvcc.js';
import openapi from './openapi.js';
import runs from './runs.js';
import vectors from './vectors.js';

export type { RouteFamily } from './family.js';

export const ROUTE_FAMILIES: readonly RouteFamily[] = [
  health,
  openapi,
  files,
  logs,
  runs,
  images,
  vectors,
  consoleRoutes,
  mvcc,
];
