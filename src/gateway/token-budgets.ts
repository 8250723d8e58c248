import type { Principal } from '../services/auth/token-service.js';
import type { GatewayBudgetRecord } from '../store/gateway-store.js';
import type { RouteBudgetCache } from './route-budget-cache.js';

/**
 * A candidate's budgets plus those of the API token that made the request. Token budgets come first:
 * they apply whichever target serves, so a refusal by one is final (no fallback is tried). Only stored
 * tokens have budgets: the bootstrap admin and an open server (no tokens) have none.
 */
export function withTokenBudgets(budgets: readonly GatewayBudgetRecord[], cache: RouteBudgetCache | null, principal: Principal | null): readonly GatewayBudgetRecord[] {
  if (cache === null || !principal || principal.tokenId === null) return budgets;
  const ofToken = cache.budgetsFor('token', principal.name);
  if (ofToken.length === 0) return budgets;
  return budgets.length === 0 ? ofToken : [...ofToken, ...budgets];
}
