import type { PriceSource, TokenPrice } from '../../core/pricing.js';
import type { OpenAICompatibleOptions } from './openai-compatible-options.js';

/**
 * Prices on a self-hosted server. You pay for your own hardware, which modelport cannot see, so
 * requests are unpriced (shown as "unpriced", never $0) unless the deployment states a per-token price
 * in `platformOptions.pricing`. There is no catalogue: the only source is the user.
 */
export const openAICompatiblePriceSource: PriceSource = {
  source: 'user-supplied platformOptions.pricing; unpriced otherwise (self-hosted hardware is paid by its owner)',
  asOf: 'n/a (user-supplied)',
};

export function openAICompatibleTokenPrice(options: OpenAICompatibleOptions): TokenPrice | null {
  return options.pricing ? { inputPerMillion: options.pricing.inputPerMillion, outputPerMillion: options.pricing.outputPerMillion } : null;
}
