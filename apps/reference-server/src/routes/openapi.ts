import type { RouteFamily } from './family.js';

const openapi: RouteFamily = {
  name: 'openapi',
  async plugin(app) {
    app.get(
      '/openapi.json',
      { schema: { tags: ['openapi'], summary: 'The OpenAPI 3 document of every route, generated from the route schemas' } },
      async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()),
    );
  },
};
export default openapi;
