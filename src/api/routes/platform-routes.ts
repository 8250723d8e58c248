import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PlatformSchema } from '../schemas.js';
import type { ApiServices } from '../app.js';

export function platformRoutes(services: ApiServices): FastifyPluginAsync {
  return async (fastify) => {
    fastify.withTypeProvider<ZodTypeProvider>().get(
      '/api/platforms',
      {
        schema: {
          tags: ['platforms'],
          summary: 'Every platform: features, defaults, hardware with prices, pricing model, and whether it is configured',
          response: { 200: z.object({ items: z.array(PlatformSchema) }) },
        },
      },
      async () => ({ items: services.platforms.list() }),
    );
  };
}
