import { InvalidArgumentError, Option, type Command } from 'commander';
import type { BudgetView } from '../client.js';
import { formatAge, formatUsd } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { withExamples, type ContextFactory } from './command-kit.js';

export const budgetScopes = ['deployment', 'route', 'token'] as const;
export const budgetPeriods = ['day', 'month'] as const;
export const budgetActions = ['reject', 'scale-to-zero', 'stop'] as const;

/**
 * `modelport budget …`: spend limits per deployment, route or API token (`/api/budgets`). Requests
 * beyond one get 429 `budget_exceeded` from the gateway. Thin on purpose, like `route`.
 */
export function registerBudgetCommands(program: Command, contextFor: ContextFactory): void {
  const group = program.command('budget').alias('budgets').description('manage gateway budgets (no verb: list)');

  group
    .command('list', { isDefault: true })
    .alias('ls')
    .description('list budgets with their spend this period')
    .action(async (_options: unknown, command: Command) => {
      const context = contextFor(command);
      const items = await context.client.listBudgets();
      if (context.json) {
        context.printJson({ items });
        return;
      }
      if (items.length === 0) {
        context.print('No budgets. Create one with `modelport budget create`.\n');
        return;
      }
      const now = context.now();
      context.print(
        renderTable(
          [{ header: 'ID' }, { header: 'SCOPE' }, { header: 'TARGET' }, { header: 'PERIOD' }, { header: 'LIMIT' }, { header: 'SPENT' }, { header: 'REMAINING' }, { header: 'ACTION' }, { header: 'STATE' }],
          items.map((budget) => [
            budget.id,
            budget.scope,
            budget.target,
            budget.period,
            formatUsd(budget.limitUsd),
            dollars(budget, 'spentUsd'),
            dollars(budget, 'remainingUsd'),
            budget.action,
            typeof budget['trippedAt'] === 'string' ? context.style.red(`tripped ${formatAge(budget['trippedAt'], now)}`) : context.style.green('ok'),
          ]),
          { headerStyle: context.style.bold },
        ),
      );
    });

  withExamples(
    group
      .command('create')
      .description('create a budget; requests beyond it get 429 budget_exceeded')
      .addOption(new Option('--scope <scope>', 'what the budget limits').choices(budgetScopes).makeOptionMandatory())
      .requiredOption('--target <name>', 'the deployment, route or API token name')
      .addOption(new Option('--period <period>', 'UTC day or month').choices(budgetPeriods).default('day'))
      .requiredOption('--limit-usd <usd>', 'the limit in US dollars', parseUsd)
      .addOption(new Option('--action <action>', 'besides refusing requests: scale-to-zero or stop (deployments only)').choices(budgetActions).default('reject')),
    ['modelport budget create --scope deployment --target support-bot --period day --limit-usd 25', 'modelport budget create --scope token --target support-app --period month --limit-usd 100'],
  ).action(async (options: { scope: string; target: string; period: string; limitUsd: number; action: string }, command: Command) => {
    const context = contextFor(command);
    const budget = await context.client.createBudget({ scope: options.scope, target: options.target, period: options.period, limitUsd: options.limitUsd, action: options.action });
    if (context.json) context.printJson(budget);
    else context.print(`${context.style.green('created')} budget ${budget.id}: ${describe(budget)}\n`);
  });

  group
    .command('delete <id>')
    .alias('rm')
    .description('delete a budget and its spend history')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextFor(command);
      await context.client.deleteBudget(id);
      if (context.json) context.printJson({ deleted: true, id });
      else context.print(`${context.style.red('deleted')} budget ${id}\n`);
    });
}

function describe(budget: BudgetView): string {
  const action = budget.action === 'reject' ? '' : `, then ${budget.action}`;
  return `${formatUsd(budget.limitUsd)} per ${budget.period} for ${budget.scope} ${budget.target}${action}`;
}

/** A money field of the view; a dash when the server did not send it (formatUsd would say "unpriced"). */
function dollars(budget: BudgetView, field: string): string {
  const value = budget[field];
  return typeof value === 'number' ? formatUsd(value) : '–';
}

function parseUsd(value: string): number {
  const usd = Number(value);
  if (value.trim() === '' || !Number.isFinite(usd) || usd <= 0) throw new InvalidArgumentError('expected an amount in US dollars above zero.');
  return usd;
}
