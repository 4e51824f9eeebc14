import type { FastifyInstance } from 'fastify';
import type { RouteOptions } from '../context.js';

/** One family of routes: a fastify plugin receiving the server context (see index.ts). */
export interface RouteFamily {
  /** Short name, used in messages and as the OpenAPI tag. */
  name: string;
  /** URL prefix of every route of the plugin, e.g. `/v1/logs`. */
  prefix?: string;
  plugin(app: FastifyInstance, options: RouteOptions): Promise<void>;
}
