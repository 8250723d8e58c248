import type { EndpointTestResultView } from '../client.js';
import { formatMs, formatTokens, formatUsd } from './format.js';
import type { Style } from './style.js';

/**
 * The line after a streamed test: `TTFT 120 ms · latency 450 ms · tokens 12 in / 8 out · cost $0.00 ·
 * finish stop`. Estimated token counts are marked; a missing price reads "unpriced".
 */
export function formatTestSummary(result: EndpointTestResultView, style: Style): string {
  const estimated = result.usage.estimated ? ' (estimated)' : '';
  const parts = [
    `TTFT ${formatMs(result.ttftMs)}`,
    `latency ${formatMs(result.latencyMs)}`,
    `tokens ${formatTokens(result.usage.inputTokens)} in / ${formatTokens(result.usage.outputTokens)} out${estimated}`,
    `cost ${formatUsd(result.costUsd)}`,
  ];
  if (result.finishReason) parts.push(`finish ${result.finishReason}`);
  return style.dim(parts.join(' · '));
}
