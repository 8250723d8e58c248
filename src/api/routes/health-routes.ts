import type { FastifyPluginAsync } from 'fastify';
import type { ApiServices } from '../app.js';

/** Liveness says the process answers; readiness says it can do its job (the database answers). */
export function healthRoutes(services: ApiServices): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { tags: ['health'], summary: 'Readiness: the database answers' } }, async (_request, reply) => {
      try {
        await services.ping();
        return { status: 'ready' };
      } catch {
        return reply.status(503).type('application/problem+json').send({
          type: 'https://modelport.dev/problems/not-ready',
          title: 'Not ready',
          status: 503,
          detail: 'the database does not answer',
          code: 'internal_error',
        });
      }
    });
  };
}
