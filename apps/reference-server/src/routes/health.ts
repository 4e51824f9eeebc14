import type { RouteFamily } from './family.js';

const health: RouteFamily = {
  name: 'health',
  async plugin(app) {
    app.get(
      '/health',
      {
        schema: {
          tags: ['health'],
          summary: 'Liveness: answers {"status":"ok"} while the server accepts requests (no auth needed)',
          response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
  },
};
export default health;
