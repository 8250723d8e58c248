/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * a random delay between 0 and min(cap, base × 2^attempt). Full jitter spreads retries of many clients
 * so a recovering provider is not hit by synchronised waves.
 */

export interface BackoffOptions {
  /** Delay ceiling of the first retry, in ms. */
  baseMs: number;
  /** No jittered delay exceeds this, in ms. */
  capMs: number;
  /** Source of randomness in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 250, capMs: 8_000 };

/**
 * Delay before retry number `attempt` (0 for the first retry), in whole ms.
 * Without `retryAfterMs` the result is within [0, capMs]. With it, the result is at least `retryAfterMs`:
 * the provider's explicit request wins over our guess when it is longer.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, retryAfterMs?: number): number {
  const cap = Math.max(0, options.capMs);
  // 2^30 × any sane base already exceeds any sane cap; clamping keeps the maths finite.
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(cap, Math.max(0, options.baseMs) * 2 ** exponent);
  const random = options.random ?? Math.random;
  const fraction = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.min(ceiling, Math.floor(fraction * ceiling));
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return jittered;
  return Math.max(jittered, Math.ceil(retryAfterMs));
}
