import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeploymentChangesSchema, DeploymentSpecSchema } from '../../core/deployment-spec.js';
import { isModelportError } from '../../core/errors/index.js';
import { PlatformIdSchema } from '../../core/platform-id.js';
import { MetricsWindowSchema } from '../../metrics/metrics-query.js';
import { createEndpointTestSchema } from '../../services/endpoint-test-service.js';
import { actorOf } from '../auth.js';
import { toDeploymentView } from '../deployment-view.js';
import { problemOf } from '../problem.js';
import {
  DeploymentEventSchema,
  DeploymentListSchema,
  DeploymentSchema,
  DeploymentStatusSchema,
  EndpointTestRecordSchema,
  EndpointTestResultSchema,
  IdParamsSchema,
  MetricsSchema,
  ProblemSchema,
} from '../schemas.js';
import { openEventStream } from '../sse.js';
import type { ApiServices } from '../app.js';

const errors = { 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };

/** `/api/deployments`: thin handlers over the deployment, endpoint-test and metrics services. */
export function deploymentRoutes(services: ApiServices): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const resolve = async (reference: string) => services.deployments.getByNameOrId(reference);

    app.post(
      '/api/deployments',
      {
        schema: {
          tags: ['deployments'],
          summary: 'Create a deployment (status pending). Send Idempotency-Key to make retries safe.',
          body: DeploymentSpecSchema,
          headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
          response: { 201: DeploymentSchema, 200: DeploymentSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { deployment, created } = await services.deployments.create(request.body, actorOf(request), request.headers['idempotency-key'] ?? null);
        return reply.status(created ? 201 : 200).header('location', `/api/deployments/${deployment.id}`).send(toDeploymentView(deployment));
      },
    );

    app.post(
      '/api/deployments/validate',
      {
        schema: {
          tags: ['deployments'],
          summary: 'Check a deployment spec as create would (schema, platform rules, model files, name taken) without creating it',
          body: z.unknown(),
          response: { 200: z.object({ valid: z.boolean(), issues: z.array(z.object({ path: z.string(), message: z.string() })) }) },
        },
      },
      async (request) => services.deployments.check(request.body),
    );

    app.get(
      '/api/deployments',
      {
        schema: {
          tags: ['deployments'],
          summary: 'List deployments, newest first',
          querystring: z.object({
            status: DeploymentStatusSchema.optional(),
            platform: PlatformIdSchema.optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            before: z.string().min(1).max(200).optional(),
          }),
          response: { 200: DeploymentListSchema, 400: ProblemSchema },
        },
      },
      async (request) => {
        const { limit, ...filter } = request.query;
        const items = await services.deployments.list({ ...filter, limit: limit + 1 });
        const page = items.slice(0, limit);
        return { items: page.map(toDeploymentView), nextBefore: items.length > limit ? (page.at(-1)?.id ?? null) : null };
      },
    );

    app.get(
      '/api/deployments/:id',
      { schema: { tags: ['deployments'], summary: 'Get a deployment by id or name', params: IdParamsSchema, response: { 200: DeploymentSchema, 404: ProblemSchema } } },
      async (request) => toDeploymentView(await resolve(request.params.id)),
    );

    app.patch(
      '/api/deployments/:id',
      {
        schema: {
          tags: ['deployments'],
          summary: 'Change scaling, timeouts, env, adapter or hardware. An active deployment goes through updating.',
          params: IdParamsSchema,
          body: DeploymentChangesSchema,
          response: { 200: DeploymentSchema, ...errors },
        },
      },
      async (request) => {
        const deployment = await resolve(request.params.id);
        return toDeploymentView(await services.deployments.update(deployment.id, request.body, actorOf(request)));
      },
    );

    app.delete(
      '/api/deployments/:id',
      { schema: { tags: ['deployments'], summary: 'Delete a pending, stopped or failed deployment', params: IdParamsSchema, response: { 204: z.null(), ...errors } } },
      async (request, reply) => {
        const deployment = await resolve(request.params.id);
        await services.deployments.delete(deployment.id, actorOf(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/deployments/:id/deploy',
      { schema: { tags: ['deployments'], summary: 'Deploy (or redeploy): status becomes deploying; the reconciler takes it to active or failed', params: IdParamsSchema, response: { 202: DeploymentSchema, ...errors } } },
      async (request, reply) => {
        const deployment = await resolve(request.params.id);
        return reply.status(202).send(toDeploymentView(await services.deployments.deploy(deployment.id, actorOf(request))));
      },
    );

    app.post(
      '/api/deployments/:id/stop',
      { schema: { tags: ['deployments'], summary: 'Stop: status becomes stopping, then stopped', params: IdParamsSchema, response: { 202: DeploymentSchema, ...errors } } },
      async (request, reply) => {
        const deployment = await resolve(request.params.id);
        return reply.status(202).send(toDeploymentView(await services.deployments.stop(deployment.id, actorOf(request))));
      },
    );

    app.get(
      '/api/deployments/:id/events',
      {
        schema: {
          tags: ['deployments'],
          summary: 'State transitions with reasons, newest first',
          params: IdParamsSchema,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: z.object({ items: z.array(DeploymentEventSchema) }), 404: ProblemSchema },
        },
      },
      async (request) => {
        const deployment = await resolve(request.params.id);
        return { items: await services.deployments.events(deployment.id, request.query.limit) };
      },
    );

    const testBody = createEndpointTestSchema(services.maxPromptChars);
    app.post(
      '/api/deployments/:id/test',
      {
        schema: {
          tags: ['testing'],
          summary: 'Send a test request to the endpoint and measure it (TTFT, latency, tokens, cost)',
          description: 'A failed or timed-out inference is a result with success: false. For a streamed answer use /test/stream.',
          params: IdParamsSchema,
          body: testBody,
          response: { 200: EndpointTestResultSchema, ...errors, 429: ProblemSchema },
        },
      },
      async (request) => {
        const deployment = await resolve(request.params.id);
        return services.tests.run(deployment.id, request.body);
      },
    );

    app.post(
      '/api/deployments/:id/test/stream',
      {
        schema: {
          tags: ['testing'],
          summary: 'The same test, streamed as server-sent events: `delta` {text} events, then one `result` (or `error`)',
          params: IdParamsSchema,
          body: testBody,
        },
      },
      async (request, reply) => {
        const deployment = await resolve(request.params.id);
        // Validation and "not servable" errors must still be proper HTTP errors, so peek the first event first.
        const events = services.tests.stream(deployment.id, request.body)[Symbol.asyncIterator]();
        const first = await events.next();
        const stream = openEventStream(reply);
        try {
          for (let step = first; !step.done; step = await events.next()) {
            if (stream.signal.aborted) break;
            const event = step.value;
            if (event.type === 'delta') stream.send('delta', { text: event.text });
            else stream.send('result', event.result);
          }
        } catch (error) {
          stream.send('error', isModelportError(error) ? problemOf(error) : { code: 'internal_error', detail: 'test failed' });
        } finally {
          await events.return?.(undefined);
          stream.end();
        }
      },
    );

    app.get(
      '/api/deployments/:id/tests',
      {
        schema: {
          tags: ['testing'],
          summary: 'Recent endpoint tests, newest first',
          params: IdParamsSchema,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
          response: { 200: z.object({ items: z.array(EndpointTestRecordSchema) }), 404: ProblemSchema },
        },
      },
      async (request) => {
        const deployment = await resolve(request.params.id);
        return { items: await services.tests.history(deployment.id, request.query.limit) };
      },
    );

    app.get(
      '/api/deployments/:id/metrics',
      {
        schema: {
          tags: ['metrics'],
          summary: 'Requests, success rate, latency and TTFT percentiles, tokens and cost over a window',
          params: IdParamsSchema,
          querystring: z.object({ window: MetricsWindowSchema.default('24h') }),
          response: { 200: MetricsSchema, 400: ProblemSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const deployment = await resolve(request.params.id);
        return services.metrics.get(deployment.id, request.query.window);
      },
    );
  };
}
