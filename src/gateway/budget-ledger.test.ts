import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGatewayDatabase, type GatewayDatabase } from '../../test/helpers/gateway-database.js';
import type { GatewayBudgetRecord, GatewayBudgetStore, GatewayStore } from '../store/gateway-store.js';
import { BudgetExceededError } from './budget-exceeded-error.js';
import { createBudgetLedger, periodStartOf, type BudgetLedger } from './budget-ledger.js';

const day = Date.parse('2025-03-01T12:00:00.000Z');

describe('budget ledger', () => {
  let database: GatewayDatabase;
  let store: GatewayStore;
  let budget: GatewayBudgetRecord;
  let now = day;
  let leases = 0;
  let ledgers: BudgetLedger[] = [];
  const clock = { now: () => now };

  /** The real store, counting the round trips the hot path must avoid. */
  const counting = (inner: GatewayBudgetStore): GatewayBudgetStore => ({
    ...inner,
    lease: (request) => {
      leases++;
      return inner.lease(request);
    },
  });
  const ledger = (holder = 'p1', flushMs = 1_000) => {
    const created = createBudgetLedger({ store: counting(store.budgets), holder, clock, flushMs, logger: { warn: () => undefined } });
    ledgers.push(created);
    return created;
  };

  beforeEach(async () => {
    database = await createGatewayDatabase();
    store = database.open();
    budget = await store.budgets.create({ id: 'b', scope: 'deployment', target: 'a', period: 'day', limitUsd: 10, action: 'reject', now: new Date(day).toISOString() });
    now = day;
    leases = 0;
    ledgers = [];
  });
  afterEach(async () => {
    for (const each of ledgers) await each.close().catch(() => undefined);
    await database.dispose();
  });

  const spent = async () => (await store.budgets.periods([periodStartOf('day', now)]))[0]?.spentUsd ?? 0;

  it('reserves synchronously from leased allowance: one database round trip for many requests', async () => {
    const books = ledger();
    const first = books.reserve([budget], 0.01);
    expect(first).toBeInstanceOf(Promise);
    (await first).settle(0.01);
    for (let index = 0; index < 40; index++) {
      const reservation = books.reserve([budget], 0.01);
      expect(reservation).not.toBeInstanceOf(Promise);
      if (!(reservation instanceof Promise)) reservation.settle(0.005);
    }
    expect(leases).toBe(1);
    await books.flush();
    expect(await spent()).toBeCloseTo(0.01 + 40 * 0.005, 9);
  });

  it('admits concurrent requests only up to the limit', async () => {
    const books = ledger();
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => Promise.resolve(books.reserve([budget], 0.75))));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(13);
    expect(results.filter((result) => result.status === 'rejected' && result.reason instanceof BudgetExceededError)).toHaveLength(37);
    // Refused at once after the first refusal: no lease storm.
    expect(leases).toBeLessThan(10);
  });

  it('overspends by at most what requests cost beyond their estimates', async () => {
    const books = ledger();
    const held = await Promise.all(Array.from({ length: 10 }, () => Promise.resolve(books.reserve([budget], 1))));
    await expect(Promise.resolve(books.reserve([budget], 1))).rejects.toBeInstanceOf(BudgetExceededError);
    held.forEach((reservation, index) => reservation.settle(index === 0 ? 1.5 : 1));
    await books.flush();
    expect(await spent()).toBeCloseTo(10.5, 9);
  });

  it('returns idle allowance so other processes can use it', async () => {
    const first = ledger('p1');
    const second = ledger('p2');
    (await first.reserve([budget], 1)).settle(1);
    // p1 leased a chunk bigger than it used; p2 cannot get 9 while p1 holds it.
    await expect(Promise.resolve(second.reserve([budget], 9))).rejects.toBeInstanceOf(BudgetExceededError);
    now += 1_500;
    await first.flush();
    expect(first.accounts()[0]?.grantedUsd).toBeCloseTo(0, 9);
    now += 1_500; // past p2's refusal memory
    const reservation = await second.reserve([budget], 9);
    reservation.settle(9);
    await second.flush();
    expect(await spent()).toBeCloseTo(10, 9);
  });

  it('never lets a request use allowance that is being returned', async () => {
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let writeStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (writeStarted = resolve));
    const gated: GatewayBudgetStore = {
      ...store.budgets,
      settle: async (settlement) => {
        writeStarted();
        await gate;
        return store.budgets.settle(settlement);
      },
    };
    const first = createBudgetLedger({ store: gated, holder: 'p1', clock, flushMs: 1_000, logger: { warn: () => undefined } });
    ledgers.push(first);
    const second = ledger('p2');
    (await first.reserve([budget], 0.3)).settle(0.3);
    now += 2_000; // idle: the next write-back returns the unused allowance
    const flushing = first.flush();
    await started;
    // While that write is in flight, the allowance it returns is no longer this process's to spend.
    const during = Promise.resolve(first.reserve([budget], 0.5));
    openGate();
    await flushing;
    const admittedDuring = await during.then(
      (reservation) => (reservation.settle(0.5), 0.5),
      () => 0,
    );
    now += 2_000;
    // Everything the database could believe is still free.
    const rest = 10 - 0.3;
    const admittedByOther = await Promise.resolve(second.reserve([budget], rest)).then(
      (reservation) => (reservation.settle(rest), rest),
      () => 0,
    );
    await first.flush();
    await second.flush();
    expect(0.3 + admittedDuring + admittedByOther).toBeLessThanOrEqual(10 + 1e-9);
    expect(await spent()).toBeLessThanOrEqual(10 + 1e-9);
  });

  it('keeps accounts per period: a new day starts from zero', async () => {
    const books = ledger();
    (await books.reserve([budget], 9)).settle(9);
    await expect(Promise.resolve(books.reserve([budget], 2))).rejects.toBeInstanceOf(BudgetExceededError);
    now += 86_400_000;
    const tomorrow = await books.reserve([budget], 2);
    tomorrow.settle(2);
    await books.flush();
    expect(await spent()).toBeCloseTo(2, 9);
  });

  it('holds all budgets of a request or none', async () => {
    const tight = await store.budgets.create({ id: 't', scope: 'route', target: 'r', period: 'day', limitUsd: 1, action: 'reject', now: new Date(day).toISOString() });
    const books = ledger();
    await expect(Promise.resolve(books.reserve([budget, tight], 2))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(books.accounts().find((account) => account.budgetId === 'b')?.reservedUsd).toBe(0);
  });
});
