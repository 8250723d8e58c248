import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../core/errors/index.js';
import type { Principal } from '../services/auth/token-service.js';
import { createGatewayDatabase, type GatewayDatabase } from '../../test/helpers/gateway-database.js';
import type { GatewayRateLimitStore, GatewayStore } from '../store/gateway-store.js';
import { createTokenRateLimiter, RATE_WINDOW_MS, type TokenRateLimiter } from './token-rate-limiter.js';

const quiet = { warn: () => undefined };
const principal = (requestsPerMinute: number | null, tokenId: string | null = 'tok-1'): Principal => ({
  tokenId,
  name: 'app',
  role: 'invoker',
  rateLimit: requestsPerMinute === null ? null : { requestsPerMinute },
});

/** The limiter over a real SQLite gateway store, counting what it asks of the store. */
describe('token rate limiter', () => {
  let database: GatewayDatabase;
  let gatewayStore: GatewayStore;
  let leases: number;
  let store: GatewayRateLimitStore;
  let now: number;
  const clock = { now: () => now };

  beforeEach(async () => {
    database = await createGatewayDatabase();
    gatewayStore = database.open();
    leases = 0;
    store = {
      lease: (request) => {
        leases++;
        return gatewayStore.rateLimits.lease(request);
      },
      deleteBefore: (windowStart) => gatewayStore.rateLimits.deleteBefore(windowStart),
    };
    now = 100 * RATE_WINDOW_MS + 1_000;
  });
  afterEach(async () => {
    await database.dispose();
  });

  /** Admits one request; true when admitted, the error when refused. */
  async function admit(limiter: TokenRateLimiter, who: Principal): Promise<true | RateLimitedError> {
    try {
      await limiter.admit(who);
      return true;
    } catch (error) {
      if (error instanceof RateLimitedError) return error;
      throw error;
    }
  }

  it('admits from leased chunks in memory: one store write per 10% of the limit', async () => {
    const limiter = createTokenRateLimiter({ store, clock, logger: quiet });
    const who = principal(100);
    let decidedInMemory = 0;
    for (let index = 0; index < 25; index++) {
      const pending = limiter.admit(who);
      if (pending === undefined) decidedInMemory++;
      else await pending;
    }
    expect(leases).toBe(3);
    expect(decidedInMemory).toBe(22);
    expect(limiter.holdings()).toEqual([{ tokenId: 'tok-1', windowStart: 100 * RATE_WINDOW_MS, available: 5, exhausted: false }]);
  });

  it('refuses past the limit until the next window, saying when, without asking the store again', async () => {
    const limiter = createTokenRateLimiter({ store, clock, logger: quiet });
    const who = principal(5);
    for (let index = 0; index < 5; index++) expect(await admit(limiter, who)).toBe(true);
    const refused = await admit(limiter, who);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: RATE_WINDOW_MS - 1_000, details: { retryAfterMs: RATE_WINDOW_MS - 1_000 } });
    expect((refused as RateLimitedError).message).toBe("the API token 'app' may make 5 gateway requests per minute; try again in 59 s");
    const asked = leases;
    now += 30_000;
    expect(() => limiter.admit(who)).toThrow(RateLimitedError);
    expect(leases).toBe(asked);

    now += 30_000; // the next window
    expect(await admit(limiter, who)).toBe(true);
  });

  it('asks again when the limit was raised since the refusal', async () => {
    const limiter = createTokenRateLimiter({ store, clock, logger: quiet });
    for (let index = 0; index < 2; index++) await admit(limiter, principal(2));
    expect(await admit(limiter, principal(2))).toBeInstanceOf(RateLimitedError);
    expect(await admit(limiter, principal(3))).toBe(true);
    expect(await admit(limiter, principal(3))).toBeInstanceOf(RateLimitedError);
  });

  it('admits exactly the limit when many requests arrive at once', async () => {
    const limiter = createTokenRateLimiter({ store, clock, logger: quiet });
    const results = await Promise.all(Array.from({ length: 40 }, () => admit(limiter, principal(25))));
    expect(results.filter((result) => result === true)).toHaveLength(25);
    expect(leases).toBeLessThan(25);
  });

  it('shares one limit between processes on one database', async () => {
    const [first, second] = [createTokenRateLimiter({ store, clock, logger: quiet }), createTokenRateLimiter({ store, clock, logger: quiet })];
    const who = principal(20);
    const results = await Promise.all(Array.from({ length: 60 }, (_, index) => admit(index % 2 === 0 ? first : second, who)));
    expect(results.filter((result) => result === true)).toHaveLength(20);
  });

  it('leaves principals without a stored token or a limit alone', async () => {
    const limiter = createTokenRateLimiter({ store, clock, logger: quiet });
    for (const who of [null, principal(null), principal(1, null)]) {
      for (let index = 0; index < 3; index++) expect(limiter.admit(who)).toBeUndefined();
    }
    expect(leases).toBe(0);
  });

  it('deletes windows older than the previous one when a new window opens', async () => {
    const limiter = createTokenRateLimiter({ store, clock, logger: quiet });
    await admit(limiter, principal(10));
    now += RATE_WINDOW_MS;
    await admit(limiter, principal(10));
    now += RATE_WINDOW_MS;
    await admit(limiter, principal(10));
    // The cleanup runs beside the request; SQLite queues this write after it.
    await gatewayStore.rateLimits.lease({ tokenId: 'probe', windowStart: 102 * RATE_WINDOW_MS, limit: 1, want: 1 });
    // Only the previous window (101) is left before the current one: 100 went when 102 opened.
    expect(await gatewayStore.rateLimits.deleteBefore(102 * RATE_WINDOW_MS)).toBe(1);
  });
});
