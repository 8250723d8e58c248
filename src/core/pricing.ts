/** Pricing maths. Catalogues (what things cost) live with each platform; this is how to add them up. */

export type PricingModel = 'free' | 'per-token' | 'per-gpu-second' | 'per-minute';

export interface TokenPrice {
  /** USD per million input tokens. */
  inputPerMillion: number;
  /** USD per million output tokens. */
  outputPerMillion: number;
}

export interface PriceSource {
  /** Where the numbers came from (URL or document) and when they were read. */
  source: string;
  asOf: string;
}

/** USD for one request; null when the price is unknown (shown as "unpriced", never $0). */
export function costOfTokens(price: TokenPrice | null, inputTokens: number, outputTokens: number): number | null {
  if (price === null) return null;
  return (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000;
}

/** USD for replica-seconds of dedicated hardware; null when the hardware price is unknown. */
export function costOfTime(usdPerHour: number | null, replicaSeconds: number): number | null {
  if (usdPerHour === null) return null;
  return (usdPerHour * replicaSeconds) / 3600;
}

/** Sums costs where null (unpriced) is contagious only if nothing was priced. */
export function addCosts(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a + b;
}
