import type { PriceSource, PricingModel, TokenPrice } from '../../core/pricing.js';

/**
 * What the local platform costs: nothing per token and nothing per hour, because it runs on this
 * machine. This is a known zero, not an unknown price: unpriced (null) would be wrong here.
 * Electricity and the machine itself are the user's, and outside what modelport meters.
 */
export const localPricing: { model: PricingModel } & PriceSource = {
  model: 'free',
  source: 'runs on this machine',
  asOf: '2026-11-26',
};

export const localTokenPrice: TokenPrice = { inputPerMillion: 0, outputPerMillion: 0 };

/** USD per replica-hour: the local "replica" is this process. */
export const localHourlyPrice = 0;
