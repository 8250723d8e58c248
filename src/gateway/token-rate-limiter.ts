import { RateLimitedError } from '../core/errors/index.js';
import type { Logger } from '../platforms/connector.js';
import type { Principal } from '../services/auth/token-service.js';
import type { GatewayRateLimitStore } from '../store/gateway-store.js';

/** One fixed window: a token's requests per minute are counted per UTC minute. */
export const RATE_WINDOW_MS = 60_000;

export interface TokenRateLimiterOptions {
  store: GatewayRateLimitStore;
  clock: { now(): number };
  /** Requests leased at once, as a share of the limit (at least 1). Default 0.1. */
  chunkFraction?: number;
  logger: Pick<Logger, 'warn'>;
}

export interface TokenRateLimiter {
  /**
   * Admits one gateway request of `principal`, or throws RateLimitedError (429 `rate_limited`, with
   * `retryAfterMs` until the next window). Returns undefined when decided in memory (this process holds
   * allowance, or knows the window is used up), a promise when it had to lease more from the database.
   * Principals without a stored token or without a limit are always admitted.
   */
  admit(principal: Principal | null): Promise<void> | undefined;
  /** This process's holdings, for tests and diagnostics. */
  holdings(): { tokenId: string; windowStart: number; available: number; exhausted: boolean }[];
}

interface TokenWindow {
  readonly windowStart: number;
  /** Leased in this window and not yet used by a request. */
  available: number;
  /** The database granted nothing more at this limit: refuse without asking until the window ends. */
  exhaustedAtLimit: number | null;
  /** Requests waiting for a lease, so one lease can cover all of them. */
  waiting: number;
  leasing: Promise<void> | null;
}

/**
 * Per-token requests per minute, shared by every process on the database.
 *
 * Each process leases chunks of a token's window from the store (one conditional upsert; the store never
 * grants more than the limit in a window, whoever asks) and admits requests from its chunk in memory.
 * Unused allowance is not returned: it expires with its window. The price of leasing is fairness at the
 * edge: a process may be refused while another still holds unused requests, by at most one chunk per
 * other process (10% of the limit each by default), never admitting more than the limit.
 */
export function createTokenRateLimiter(options: TokenRateLimiterOptions): TokenRateLimiter {
  const { store, clock, logger } = options;
  const chunkFraction = options.chunkFraction ?? 0.1;
  const windows = new Map<string, TokenWindow>();
  let cleanedWindow = 0;

  function windowOf(tokenId: string, now: number): TokenWindow {
    const windowStart = now - (now % RATE_WINDOW_MS);
    let window = windows.get(tokenId);
    if (window === undefined || window.windowStart !== windowStart) {
      window = { windowStart, available: 0, exhaustedAtLimit: null, waiting: 0, leasing: null };
      windows.set(tokenId, window);
      if (windowStart > cleanedWindow) clean(windowStart);
    }
    return window;
  }

  /** Once per window and process: forget other tokens' past windows here, and old rows in the store. */
  function clean(windowStart: number): void {
    cleanedWindow = windowStart;
    for (const [tokenId, window] of windows) if (window.windowStart < windowStart && window.leasing === null) windows.delete(tokenId);
    // The previous window stays: a process whose clock runs slightly behind may still be leasing in it.
    store.deleteBefore(windowStart - RATE_WINDOW_MS).catch((error: unknown) => logger.warn('deleting old rate-limit windows failed', { error: String(error) }));
  }

  function refusal(principal: Principal, limit: number, window: TokenWindow, now: number): RateLimitedError {
    const retryAfterMs = Math.max(1, window.windowStart + RATE_WINDOW_MS - now);
    return new RateLimitedError(`the API token '${principal.name}' may make ${limit} gateway requests per minute; try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs, {
      details: { token: principal.name, requestsPerMinute: limit },
    });
  }

  function lease(tokenId: string, window: TokenWindow, limit: number): Promise<void> {
    window.leasing ??= (async () => {
      try {
        const want = Math.min(limit, Math.max(1, Math.floor(limit * chunkFraction), window.waiting));
        const { granted } = await store.lease({ tokenId, windowStart: window.windowStart, limit, want });
        window.available += granted;
        if (granted === 0) window.exhaustedAtLimit = limit;
      } finally {
        window.leasing = null;
      }
    })();
    return window.leasing;
  }

  async function admitSlowly(principal: Principal, tokenId: string, limit: number): Promise<void> {
    // Bounded: each round either admits, refuses, or waits for a lease that granted something to others.
    for (let round = 0; round < 32; round++) {
      const now = clock.now();
      const window = windowOf(tokenId, now);
      if (window.available > 0) {
        window.available--;
        return;
      }
      if (window.exhaustedAtLimit === limit) throw refusal(principal, limit, window, now);
      window.waiting++;
      try {
        await (window.leasing ?? lease(tokenId, window, limit));
      } finally {
        window.waiting--;
      }
    }
    const now = clock.now();
    throw refusal(principal, limit, windowOf(tokenId, now), now);
  }

  return {
    admit(principal) {
      if (!principal || principal.tokenId === null || principal.rateLimit === null) return undefined;
      const limit = principal.rateLimit.requestsPerMinute;
      const now = clock.now();
      const window = windowOf(principal.tokenId, now);
      if (window.available > 0) {
        window.available--;
        return undefined;
      }
      // A limit raised since the refusal deserves another look at the database.
      if (window.exhaustedAtLimit === limit) throw refusal(principal, limit, window, now);
      return admitSlowly(principal, principal.tokenId, limit);
    },
    holdings: () =>
      [...windows].map(([tokenId, window]) => ({ tokenId, windowStart: window.windowStart, available: window.available, exhausted: window.exhaustedAtLimit !== null })),
  };
}
