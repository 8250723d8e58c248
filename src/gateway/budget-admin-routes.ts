import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProblemSchema } from '../api/schemas.js';
import { BudgetChangesSchema, BudgetCreateSchema, type BudgetService } from './budget-service.js';
import { actorOf } from './route-admin-routes.js';

export const BudgetViewSchema = z
  .object({
    id: z.string(),
    scope: z.enum(['deployment', 'route', 'token']),
    target: z.string(),
    period: z.enum(['day', 'month']),
    limitUsd: z.number(),
    action: z.enum(['reject', 'scale-to-zero', 'stop']),
    periodStart: z.string(),
    spentUsd: z.number(),
    reservedUsd: z.number(),
    remainingUsd: z.number(),
    trippedAt: z.string().nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Budget' });

const BudgetParamsSchema = z.object({ id: z.string().min(1).max(200).describe('budget id') });
const errors = { 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

/** `/api/budgets`: spend limits per deployment, route or API token per day or month, with current spend. */
export function budgetAdminRoutes(budgets: BudgetService): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const tags = ['budgets'];

    app.post(
      '/api/budgets',
      { schema: { tags, summary: 'Create a budget; requests beyond it get 429 budget_exceeded', body: BudgetCreateSchema, response: { 201: BudgetViewSchema, ...errors } } },
      async (request, reply) => {
        const budget = await budgets.create(request.body, actorOf(request));
        return reply.status(201).header('location', `/api/budgets/${budget.id}`).send(budget);
      },
    );

    app.get('/api/budgets', { schema: { tags, summary: 'List budgets with their spend this period', response: { 200: z.object({ items: z.array(BudgetViewSchema) }) } } }, async () => ({
      items: await budgets.list(),
    }));

    app.get(
      '/api/budgets/:id',
      { schema: { tags, summary: 'Get a budget with its spend this period', params: BudgetParamsSchema, response: { 200: BudgetViewSchema, 404: ProblemSchema } } },
      async (request) => budgets.get(request.params.id),
    );

    app.patch(
      '/api/budgets/:id',
      { schema: { tags, summary: 'Change the limit or the action', params: BudgetParamsSchema, body: BudgetChangesSchema, response: { 200: BudgetViewSchema, ...errors } } },
      async (request) => budgets.update(request.params.id, request.body, actorOf(request)),
    );

    app.delete(
      '/api/budgets/:id',
      { schema: { tags, summary: 'Delete a budget and its spend history', params: BudgetParamsSchema, response: { 204: z.null(), 404: ProblemSchema } } },
      async (request, reply) => {
        await budgets.delete(request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
