import { ModelportError } from '../core/errors/index.js';
import type { Clock } from '../platforms/connector.js';

/** Token bucket per key, in memory: protects a deployment (and its bill) from a runaway test loop. */
export function createRateLimiter(options: { perMinute: number; clock: Clock }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refillPerMs = options.perMinute / 60_000;
  return {
    take(key: string): void {
      const now = options.clock.now();
      const bucket = buckets.get(key) ?? { tokens: options.perMinute, at: now };
      bucket.tokens = Math.min(options.perMinute, bucket.tokens + (now - bucket.at) * refillPerMs);
      bucket.at = now;
      if (bucket.tokens < 1) {
        const retryAfterMs = Math.ceil((1 - bucket.tokens) / refillPerMs);
        throw new ModelportError('rate_limited', `too many test requests for this deployment; try again in ${Math.ceil(retryAfterMs / 1000)} s`, {
          retryable: true,
          details: { retryAfterMs },
        });
      }
      bucket.tokens -= 1;
      buckets.set(key, bucket);
    },
  };
}
