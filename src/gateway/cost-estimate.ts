import { costOfTokens, type TokenPrice } from '../core/pricing.js';

/**
 * The cost a request is allowed to reserve before it runs: an upper bound, so that budgets cannot be
 * overspent by requests that cost more than they reserved.
 *
 * - Input: one token per byte of the request body. Byte-level BPE tokens each cover at least one byte,
 *   and the body (JSON, with its quoting and message framing) is longer than the prompt text, which
 *   also pays for the few template tokens a chat format adds per message.
 * - Output: `max_completion_tokens` / `max_tokens` per choice, or `defaultMaxTokens` when the request
 *   sets none (the gateway then sends that cap upstream, so the bound holds).
 */
export function estimateCostUsd(price: TokenPrice | null, requestBytes: number, maxOutputTokens: number, choices: number): number {
  return costOfTokens(price, requestBytes + 64, maxOutputTokens * Math.max(1, choices)) ?? 0;
}
