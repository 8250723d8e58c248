import type { FastifyPluginAsync } from 'fastify';

/** `/metrics`: Prometheus exposition of a registry (the gateway's, with process metrics). */
export function prometheusRoutes(registry: { metrics(): Promise<string>; readonly contentType: string }): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics: gateway requests, errors, latency and TTFT histograms, tokens, cost, per deployment and route', hide: false } }, async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  };
}
