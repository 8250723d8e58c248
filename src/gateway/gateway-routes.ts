import type { FastifyPluginAsync } from 'fastify';
import { isModelportError, ModelportError } from '../core/errors/index.js';
import type { CompletionHandler } from './completion-handler.js';
import type { DeploymentCache } from './deployment-cache.js';
import { toOpenAIError } from './openai-errors.js';
import type { RouteBudgetCache } from './route-budget-cache.js';

export interface GatewayRoutesDeps {
  handle: CompletionHandler;
  deployments: DeploymentCache;
  routes: RouteBudgetCache | null;
}

/**
 * OpenAI-compatible `/v1`: `model` is a route, a deployment name, or `name:adapter` to pick an adapter
 * on platforms that hot-swap them. Errors use OpenAI's envelope so OpenAI SDKs raise their usual errors.
 */
export function gatewayRoutes(deps: GatewayRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler((error, _request, reply) => {
      const failure = isModelportError(error)
        ? error
        : (error as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error as { code?: string }).code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? new ModelportError('invalid_json', 'the request body is not valid JSON')
          : (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? new ModelportError('payload_too_large', 'the request body is larger than this server accepts')
            : isClientError(error)
              ? new ModelportError('validation_failed', (error as Error).message)
              : new ModelportError('internal_error', 'internal error');
      const { status, body, retry } = toOpenAIError(failure);
      if (!retry) reply.header('x-should-retry', 'false');
      const retryAfterMs = failure.details['retryAfterMs'];
      if (typeof retryAfterMs === 'number') reply.header('retry-after', Math.max(1, Math.ceil(retryAfterMs / 1000)));
      return reply.status(status).type('application/json').send(body);
    });

    app.get('/v1/models', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible model list: routes, serving deployments and their adapters' } }, async () => {
      const data: { id: string; object: 'model'; created: number; owned_by: string }[] = [];
      for (const compiled of deps.routes?.routes() ?? []) {
        data.push({ id: compiled.route.name, object: 'model', created: seconds(compiled.route.createdAt), owned_by: 'modelport-route' });
      }
      for (const plan of deps.deployments.all()) {
        const { deployment } = plan;
        if (deployment.status !== 'active' && deployment.status !== 'updating') continue;
        const created = seconds(deployment.createdAt);
        data.push({ id: deployment.name, object: 'model', created, owned_by: deployment.platform });
        for (const adapter of plan.adapters) data.push({ id: `${deployment.name}:${adapter}`, object: 'model', created, owned_by: deployment.platform });
      }
      return { object: 'list', data };
    });

    app.post('/v1/chat/completions', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible chat completions (streaming or not)' } }, (request, reply) => deps.handle('chat', request, reply));
    app.post('/v1/completions', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible text completions (streaming or not)' } }, (request, reply) => deps.handle('text', request, reply));
  };
}

function seconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** Fastify's own 4xx errors (unsupported content type, bad headers) stay 4xx. */
function isClientError(error: unknown): boolean {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
