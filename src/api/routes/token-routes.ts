import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { roles } from '../../services/auth/roles.js';
import { NewTokenSchema, TokenChangesSchema, TokenRateLimitSchema } from '../../services/auth/token-service.js';
import { ProblemSchema } from '../schemas.js';
import type { ApiServices } from '../app.js';

const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    prefix: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    /** null: unlimited. */
    rateLimit: TokenRateLimitSchema.nullable(),
  })
  .meta({ id: 'ApiToken' });

/** API tokens (admin only). The secret is returned once, by the create call. */
export function tokenRoutes(services: ApiServices): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get('/api/tokens', { schema: { tags: ['tokens'], summary: 'API tokens, without secrets', response: { 200: z.object({ items: z.array(TokenSchema) }) } } }, async () => ({
      items: await services.tokens.list(),
    }));
    app.post(
      '/api/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary:
            'Create a token: admin (everything), deployer (deployments, tests, routes, gateway), viewer (read only) or invoker (the gateway /v1 only), optionally with a gateway rate limit. The secret is shown only in this response.',
          body: NewTokenSchema,
          response: { 201: z.object({ token: TokenSchema, secret: z.string() }), 400: ProblemSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await services.tokens.create(request.body)),
    );
    app.patch(
      '/api/tokens/:id',
      {
        schema: {
          tags: ['tokens'],
          summary: "Change a token's gateway rate limit (null removes it)",
          params: z.object({ id: z.string().min(1).max(100) }),
          body: TokenChangesSchema,
          response: { 200: TokenSchema, 400: ProblemSchema, 404: ProblemSchema },
        },
      },
      async (request) => services.tokens.update(request.params.id, request.body),
    );
    app.delete(
      '/api/tokens/:id',
      { schema: { tags: ['tokens'], summary: 'Revoke a token', params: z.object({ id: z.string().min(1).max(100) }), response: { 204: z.null(), 404: ProblemSchema } } },
      async (request, reply) => {
        await services.tokens.revoke(request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
