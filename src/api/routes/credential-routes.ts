import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CredentialValueSchema } from '../../services/credential-service.js';
import { ProblemSchema } from '../schemas.js';
import type { ApiServices } from '../app.js';

const CredentialSchema = z
  .object({
    name: z.string(),
    source: z.enum(['stored', 'environment']),
    updatedAt: z.string().nullable(),
    usedBy: z.array(z.string()),
  })
  .meta({ id: 'Credential' });

/** Provider credentials: write-only. Listing shows names and where they come from, never values. */
export function credentialRoutes(services: ApiServices): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const params = z.object({ name: z.string().min(1).max(128) });

    app.get(
      '/api/credentials',
      { schema: { tags: ['credentials'], summary: 'Credential names in use and where each comes from (values are never returned)', response: { 200: z.object({ items: z.array(CredentialSchema) }) } } },
      async () => ({ items: services.credentials.list() }),
    );

    app.put(
      '/api/credentials/:name',
      {
        schema: {
          tags: ['credentials'],
          summary: 'Store a credential, encrypted at rest (needs MODELPORT_SECRET_KEY). Overrides the environment.',
          params,
          body: CredentialValueSchema,
          response: { 204: z.null(), 400: ProblemSchema, 422: ProblemSchema },
        },
      },
      async (request, reply) => {
        await services.credentials.put(request.params.name, request.body);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/api/credentials/:name',
      { schema: { tags: ['credentials'], summary: 'Remove a stored credential (the environment value, if any, applies again)', params, response: { 204: z.null(), 404: ProblemSchema } } },
      async (request, reply) => {
        await services.credentials.delete(request.params.name);
        return reply.status(204).send(null);
      },
    );
  };
}
