import { periodic } from '../core/periodic.js';
import { isModelportError } from '../core/errors/index.js';
import type { Logger } from '../platforms/connector.js';
import type { BudgetPeriod, GatewayBudgetRecord, GatewayBudgetStore } from '../store/gateway-store.js';
import { BudgetExceededError } from './budget-exceeded-error.js';

/** A request's hold on its budgets: settle it exactly once with what the request really cost. */
export interface Reservation {
  /** `actualUsd` null (unpriced, or no usage) counts as 0. */
  settle(actualUsd: number | null): void;
}

export interface BudgetLedgerOptions {
  store: GatewayBudgetStore;
  /** This process, as lease holder (unique per process instance). */
  holder: string;
  clock: { now(): number };
  /** How often settled spend is written back and idle allowance returned. Default 1 s. */
  flushMs?: number;
  /** A holder that stops renewing for this long is presumed dead; its lease counts as spent. Default 30 s. */
  leaseTtlMs?: number;
  /** Allowance asked for at once, as a share of the limit. Default 0.05 (20 leases use a budget up). */
  chunkFraction?: number;
  logger: Pick<Logger, 'warn'>;
  /** Called once per budget and period in this process when a request is refused for want of budget. */
  onExhausted?: (budget: GatewayBudgetRecord, periodStart: string) => void;
}

export interface BudgetLedger {
  /**
   * Reserves `estimateUsd` on every budget, all or nothing. Synchronous (no I/O) while this process holds
   * enough allowance; otherwise leases more from the database first. Throws BudgetExceededError when a
   * budget cannot cover the estimate.
   */
  reserve(budgets: readonly GatewayBudgetRecord[], estimateUsd: number): Reservation | Promise<Reservation>;
  /** Writes settled spend back and returns idle allowance. */
  flush(): Promise<void>;
  /** Starts the periodic flush (and the reclaim of dead holders' leases). */
  start(): void;
  /** Stops, settles everything and returns all unused allowance. */
  close(): Promise<void>;
  /** This process's view, for tests and diagnostics. */
  accounts(): { budgetId: string; periodStart: string; grantedUsd: number; reservedUsd: number; settledUsd: number }[];
}

interface Account {
  budget: GatewayBudgetRecord;
  readonly periodStart: string;
  /** Allowance leased and not yet written back as spend or returned. */
  granted: number;
  /** Estimates of requests in flight. */
  reserved: number;
  /** Actual spend of finished requests, not yet written back. */
  settled: number;
  lastReserveAt: number;
  lastSyncAt: number;
  /** After a refusal: until then, a need above `knownRemaining` is refused without asking the database. */
  refusedUntil: number;
  knownRemaining: number;
  notifiedExhausted: boolean;
  leasing: Promise<void> | null;
  /** Database work on this account runs one at a time. */
  chain: Promise<unknown>;
}

const FREE: Reservation = Object.freeze({ settle: () => undefined });
const EPSILON_USD = 1e-9;

let cachedDay = { from: 0, to: -1, day: '', month: '' };

/** UTC day (`2025-03-01`) or month (`2025-03`) containing `now`. Called per request: the day is cached. */
export function periodStartOf(period: BudgetPeriod, now: number): string {
  if (now < cachedDay.from || now >= cachedDay.to) {
    const iso = new Date(now).toISOString();
    const from = Date.parse(`${iso.slice(0, 10)}T00:00:00.000Z`);
    cachedDay = { from, to: from + 86_400_000, day: iso.slice(0, 10), month: iso.slice(0, 7) };
  }
  return period === 'day' ? cachedDay.day : cachedDay.month;
}

/**
 * Per-process budget accounting over leased allowance.
 *
 * Overspend bound: a request is admitted only against allowance this process leased, and leases never
 * exceed limit − spent across all processes, so total spend stays within the limit as long as each
 * request costs at most its estimate. The estimate is deliberately pessimistic (every prompt byte a
 * token, plus max_tokens of output; see cost-estimate.ts), so the bound is the limit itself; a request
 * costing more than its estimate (an upstream that ignores max_tokens) can exceed it by that excess.
 * A crashed process's unreturned allowance is counted as spent when its lease expires: budgets err
 * towards refusing, never towards overspending.
 */
export function createBudgetLedger(options: BudgetLedgerOptions): BudgetLedger {
  const { store, holder, clock, logger } = options;
  const flushMs = options.flushMs ?? 1_000;
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const chunkFraction = options.chunkFraction ?? 0.05;
  const accounts = new Map<string, Account>();
  let lastReclaimAt = 0;

  function accountFor(budget: GatewayBudgetRecord, now: number): Account {
    const periodStart = periodStartOf(budget.period, now);
    const key = `${budget.id}\u0000${periodStart}`;
    let account = accounts.get(key);
    if (account === undefined) {
      account = {
        budget,
        periodStart,
        granted: 0,
        reserved: 0,
        settled: 0,
        lastReserveAt: now,
        lastSyncAt: now,
        refusedUntil: 0,
        knownRemaining: Number.POSITIVE_INFINITY,
        notifiedExhausted: false,
        leasing: null,
        chain: Promise.resolve(),
      };
      accounts.set(key, account);
    } else if (account.budget !== budget) {
      account.budget = budget; // the limit may have changed
    }
    return account;
  }

  const available = (account: Account) => account.granted - account.reserved - account.settled;

  function onChain<T>(account: Account, work: () => Promise<T>): Promise<T> {
    const run = account.chain.then(work, work);
    account.chain = run.catch(() => undefined);
    return run;
  }

  function refuse(account: Account): never {
    if (!account.notifiedExhausted) {
      account.notifiedExhausted = true;
      options.onExhausted?.(account.budget, account.periodStart);
    }
    throw new BudgetExceededError(account.budget, account.periodStart);
  }

  function lease(account: Account, need: number, estimate: number): Promise<void> {
    account.leasing ??= onChain(account, async () => {
      const now = clock.now();
      const want = Math.max(need, estimate * 4, account.budget.limitUsd * chunkFraction);
      const result = await store.lease({ budgetId: account.budget.id, periodStart: account.periodStart, holder, wantUsd: want, needUsd: need, now, ttlMs: leaseTtlMs });
      account.granted += result.grantedUsd;
      account.knownRemaining = result.remainingUsd;
      account.lastSyncAt = now;
      if (result.grantedUsd === 0) account.refusedUntil = now + flushMs;
    }).finally(() => {
      account.leasing = null;
    });
    return account.leasing;
  }

  async function take(account: Account, estimate: number): Promise<void> {
    for (let round = 0; round < 16; round++) {
      const free = available(account);
      if (free + EPSILON_USD >= estimate) {
        account.reserved += estimate;
        account.lastReserveAt = clock.now();
        return;
      }
      const need = estimate - free;
      if (clock.now() < account.refusedUntil && need > account.knownRemaining + EPSILON_USD) refuse(account);
      const pending = account.leasing;
      if (pending) {
        await pending;
        continue;
      }
      await lease(account, need, estimate);
    }
    refuse(account);
  }

  function reservationOf(taken: readonly Account[], estimate: number): Reservation {
    let settled = false;
    return {
      settle(actualUsd) {
        if (settled) return;
        settled = true;
        const actual = actualUsd !== null && actualUsd > 0 ? actualUsd : 0;
        for (const account of taken) {
          account.reserved -= estimate;
          account.settled += actual;
        }
      },
    };
  }

  async function reserveSlowly(list: Account[], estimate: number): Promise<Reservation> {
    const taken: Account[] = [];
    try {
      for (const account of list) {
        await take(account, estimate);
        taken.push(account);
      }
    } catch (error) {
      for (const account of taken) account.reserved -= estimate;
      throw error;
    }
    return reservationOf(taken, estimate);
  }

  async function flushAccount(account: Account, key: string, releaseAll: boolean): Promise<void> {
    await onChain(account, async () => {
      const now = clock.now();
      const spent = account.settled;
      const idle = account.reserved <= EPSILON_USD && now - account.lastReserveAt >= flushMs;
      const release = releaseAll || idle ? Math.max(0, available(account)) : 0;
      const renew = account.granted > EPSILON_USD && now - account.lastSyncAt >= leaseTtlMs / 3;
      if (spent <= 0 && release <= EPSILON_USD && !renew) return;
      // Taken out of the local books before the write: a request arriving while it is in flight must not
      // reserve allowance that the database already counts as returned.
      account.settled -= spent;
      account.granted -= spent + release;
      try {
        const result = await store.settle({ budgetId: account.budget.id, periodStart: account.periodStart, holder, spentUsd: spent, releaseUsd: release, now, ttlMs: leaseTtlMs });
        account.lastSyncAt = now;
        if (!result.leaseFound) {
          // Our lease expired and was counted as spent in full: what we held is gone, and so is what we owed.
          account.granted = 0;
          account.settled = 0;
        }
      } catch (error) {
        if (isModelportError(error) && error.code === 'not_found') {
          accounts.delete(key); // the budget was deleted
          return;
        }
        account.settled += spent;
        account.granted += spent + release;
        throw error;
      }
    });
    const current = periodStartOf(account.budget.period, clock.now());
    if (account.periodStart !== current && account.reserved <= EPSILON_USD && account.settled <= 0 && account.granted <= EPSILON_USD) accounts.delete(key);
  }

  async function flush(releaseAll = false): Promise<void> {
    const failures: unknown[] = [];
    for (const [key, account] of [...accounts]) {
      try {
        await flushAccount(account, key, releaseAll);
      } catch (error) {
        failures.push(error);
      }
    }
    const now = clock.now();
    if (now - lastReclaimAt >= leaseTtlMs / 2) {
      lastReclaimAt = now;
      await store.reclaimExpired(now).catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  }

  const flusher = periodic(flushMs, () => flush(false), (error) => logger.warn('budget flush failed; retrying', { error: String(error) }));

  return {
    reserve(budgets, estimateUsd) {
      if (budgets.length === 0 || !(estimateUsd > 0)) return FREE;
      const now = clock.now();
      const list = budgets.map((budget) => accountFor(budget, now));
      let enough = true;
      for (const account of list) if (available(account) + EPSILON_USD < estimateUsd) enough = false;
      if (enough) {
        for (const account of list) {
          account.reserved += estimateUsd;
          account.lastReserveAt = now;
        }
        return reservationOf(list, estimateUsd);
      }
      return reserveSlowly(list, estimateUsd);
    },
    flush: () => flush(false),
    start: flusher.start,
    async close() {
      await flusher.stop();
      await flush(true);
    },
    accounts: () =>
      [...accounts.values()].map((account) => ({
        budgetId: account.budget.id,
        periodStart: account.periodStart,
        grantedUsd: account.granted,
        reservedUsd: account.reserved,
        settledUsd: account.settled,
      })),
  };
}
