import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProblemSchema } from '../api/schemas.js';
import { CanarySchema, RouteChangesSchema, RouteCreateSchema, RouteTargetRefSchema, RouteTargetSchema, type Route } from './route-spec.js';
import type { RouteService } from './route-service.js';

/** A route as the API shows it: its spec flattened beside its identity. */
export const RouteViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    targets: z.array(RouteTargetSchema),
    fallbacks: z.array(RouteTargetRefSchema),
    stickyHeader: z.string().nullable(),
    firstTokenTimeoutMs: z.number().nullable(),
    canary: CanarySchema.nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Route' });

export const RouteEventSchema = z
  .object({
    id: z.string(),
    routeId: z.string(),
    routeVersion: z.number().int(),
    at: z.string(),
    kind: z.string(),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()),
    actor: z.string(),
  })
  .meta({ id: 'RouteEvent' });

const ReferenceParamsSchema = z.object({ id: z.string().min(1).max(200).describe('route id or name') });
const errors = { 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

/** The name written into events: the authenticated principal where the API has one. */
export function actorOf(request: FastifyRequest): { name: string } {
  const principal = (request as { principal?: { name?: unknown } | null }).principal;
  return { name: typeof principal?.name === 'string' ? principal.name : 'user' };
}

export function toRouteView(route: Route): z.infer<typeof RouteViewSchema> {
  return { id: route.id, name: route.name, ...route.spec, version: route.version, createdAt: route.createdAt, updatedAt: route.updatedAt };
}

/**
 * `/api/routes`: CRUD, events (every edit and canary decision, with its numbers) and manual canary
 * promote/rollback. Errors are thrown ModelportErrors: the API's handler makes them problem+json.
 */
export function routeAdminRoutes(routes: RouteService): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const tags = ['routes'];

    app.post(
      '/api/routes',
      { schema: { tags, summary: 'Create a route: a model name spread over deployments by weight, with fallbacks, stickiness and an optional canary', body: RouteCreateSchema, response: { 201: RouteViewSchema, ...errors } } },
      async (request, reply) => {
        const route = await routes.create(request.body, actorOf(request));
        return reply.status(201).header('location', `/api/routes/${encodeURIComponent(route.name)}`).send(toRouteView(route));
      },
    );

    app.get('/api/routes', { schema: { tags, summary: 'List routes by name', response: { 200: z.object({ items: z.array(RouteViewSchema) }) } } }, async () => ({
      items: (await routes.list()).map(toRouteView),
    }));

    app.get(
      '/api/routes/:id',
      { schema: { tags, summary: 'Get a route by id or name', params: ReferenceParamsSchema, response: { 200: RouteViewSchema, 404: ProblemSchema } } },
      async (request) => toRouteView(await routes.get(request.params.id)),
    );

    app.patch(
      '/api/routes/:id',
      {
        schema: {
          tags,
          summary: 'Change a route. Setting canary starts a canary (judged automatically); canary: null stops it.',
          params: ReferenceParamsSchema,
          body: RouteChangesSchema,
          response: { 200: RouteViewSchema, ...errors },
        },
      },
      async (request) => toRouteView(await routes.update(request.params.id, request.body, actorOf(request))),
    );

    app.delete(
      '/api/routes/:id',
      { schema: { tags, summary: 'Delete a route (its events go with it)', params: ReferenceParamsSchema, response: { 204: z.null(), 404: ProblemSchema } } },
      async (request, reply) => {
        await routes.delete(request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/routes/:id/events',
      {
        schema: {
          tags,
          summary: 'Route history, newest first: edits, canary starts, promotions and rollbacks with the numbers behind them',
          params: ReferenceParamsSchema,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: z.object({ items: z.array(RouteEventSchema) }), 404: ProblemSchema },
        },
      },
      async (request) => ({ items: await routes.events(request.params.id, request.query.limit) }),
    );

    for (const action of ['promote', 'rollback'] as const) {
      app.post(
        `/api/routes/:id/canary/${action}`,
        {
          schema: {
            tags,
            summary: action === 'promote' ? 'Promote the running canary now (it becomes the only target)' : 'Roll the running canary back now',
            params: ReferenceParamsSchema,
            response: { 200: RouteViewSchema, ...errors },
          },
        },
        async (request) => toRouteView(await routes.decideCanary(request.params.id, action, actorOf(request))),
      );
    }
  };
}
