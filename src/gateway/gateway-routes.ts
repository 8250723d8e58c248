import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../services/auth/token-service.js';
import type { ClientResponse } from './client-response.js';
import type { CompletionCall, CompletionHandler } from './completion-handler.js';
import type { DeploymentCache } from './deployment-cache.js';
import { openAIErrorReply } from './openai-errors.js';
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
      const { status, headers, body } = openAIErrorReply(error);
      return reply.status(status).headers(headers).send(body);
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

    // The completion front (completion-front.ts) serves most of these straight off the socket; these
    // routes answer the rest (and app.inject()) through the same handler.
    app.post('/v1/chat/completions', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible chat completions (streaming or not)' } }, async (request, reply) => {
      await deps.handle('chat', new FastifyCompletionCall(request, reply));
      return reply;
    });
    app.post('/v1/completions', { schema: { tags: ['gateway'], summary: 'OpenAI-compatible text completions (streaming or not)' } }, async (request, reply) => {
      await deps.handle('text', new FastifyCompletionCall(request, reply));
      return reply;
    });
  };
}

function seconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** A request Fastify read, for the completion handler. */
class FastifyCompletionCall implements CompletionCall {
  readonly receivedAt: number;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {
    // buildApp's arrival hook notes when the request came; a bare Fastify app (some tests) counts from here.
    this.receivedAt = request.receivedAt || performance.now();
  }

  get principal(): Principal | null {
    return this.request.principal;
  }

  get body(): unknown {
    return this.request.body;
  }

  get response(): ClientResponse {
    return this.reply.raw;
  }

  header(name: string): string | undefined {
    const value = this.request.headers[name];
    return typeof value === 'string' ? value : undefined;
  }

  commit(): void {
    this.reply.hijack();
  }
}
