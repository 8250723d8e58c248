import { ModelportError } from '../core/errors/index.js';
import type { GatewayBudgetRecord } from '../store/gateway-store.js';

/**
 * A budget cannot cover a request's estimated cost. Carries code `rate_limited` (HTTP 429 in the REST
 * API) and `details.gatewayCode: 'budget_exceeded'`, which the gateway's OpenAI error envelope uses as
 * its `code`.
 */
export class BudgetExceededError extends ModelportError {
  readonly budget: GatewayBudgetRecord;
  constructor(budget: GatewayBudgetRecord, periodStart: string) {
    super(
      'rate_limited',
      `the ${budget.period === 'day' ? 'daily' : 'monthly'} budget of ${budget.scope} '${budget.target}' ($${budget.limitUsd}) is used up for ${periodStart}`,
      {
        retryable: false,
        details: { gatewayCode: 'budget_exceeded', budgetId: budget.id, scope: budget.scope, target: budget.target, period: budget.period, periodStart, limitUsd: budget.limitUsd },
      },
    );
    this.budget = budget;
  }
}
