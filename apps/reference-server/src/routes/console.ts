import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import { HttpError } from '../http-error.js';
import type { RouteFamily } from './family.js';
import { errorResponses } from './schemas.js';

/**
 * The web console's headers. The page loads only its own script, stylesheet and icon;
 * images are blob: URLs made from API responses (fetched with the token); nothing else
 * may load, run, frame it or be framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no bearer token (the console's page and assets; see server.ts). */
    public?: boolean;
  }
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  map: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The bundled console (`pnpm build` writes it to dist/console). From dist/routes it is
 * ../console; when the server runs from src (tests), ../../dist/console.
 */
function loadAssets(): Map<string, Asset> | null {
  for (const rel of ['../console/', '../../dist/console/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    if (!names.includes('index.html')) continue;
    const assets = new Map<string, Asset>();
    for (const name of names) {
      const type = TYPES[name.split('.').pop() ?? ''];
      if (type === undefined) continue;
      const body = readFileSync(dir + name);
      assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
    return assets;
  }
  return null;
}

/**
 * The web console at `/` (index.html) and `/console/<file>` (its bundle), read into memory
 * once at start. Public: the page itself asks for the token and sends it with every API
 * call, so these routes carry `config.public` and skip the bearer check.
 */
const consoleRoutes: RouteFamily = {
  name: 'console',
  async plugin(app) {
    const assets = loadAssets();
    const send = (reply: FastifyReply, name: string, ifNoneMatch: string | undefined) => {
      const asset = assets?.get(name);
      if (assets === null) throw new HttpError(503, 'ENOENT', 'the console is not built (run `pnpm build` in apps/reference-server)');
      if (asset === undefined) throw new HttpError(404, 'ENOENT', `no console file '${name}'`);
      void reply.headers(SECURITY_HEADERS).header('etag', asset.etag).header('cache-control', 'no-cache');
      if (ifNoneMatch === asset.etag) return reply.code(304).send();
      return reply.type(asset.type).send(asset.body);
    };
    const schema = { tags: ['console'], hide: true, response: { ...errorResponses } };
    app.get('/', { config: { public: true }, schema: { ...schema, summary: 'The web console (HTML)' } }, async (request, reply) => send(reply, 'index.html', request.headers['if-none-match']));
    app.get(
      '/console/:file',
      { config: { public: true }, schema: { ...schema, summary: "The web console's bundled assets", params: { type: 'object', required: ['file'], properties: { file: { type: 'string', pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9]+)+$' } } } } },
      async (request, reply) => send(reply, (request.params as { file: string }).file, request.headers['if-none-match']),
    );
  },
};
export default consoleRoutes;
