import type { MetricsView } from '../client.js';
import { formatMs, formatPercent, formatTokens, formatUsd } from './format.js';
import type { Style } from './style.js';
import { renderDetails } from './table.js';

/** `modelport metrics`: the numbers the metrics view shows, as a readable two-column table. */
export function renderMetrics(name: string, metrics: MetricsView, style: Style): string {
  const { requests, latencyMs, ttftMs, interTokenMs, tokens, cost } = metrics;
  const unpriced = cost.unpricedRequests > 0 ? ` ${style.yellow(`(${cost.unpricedRequests} unpriced request${cost.unpricedRequests === 1 ? '' : 's'} not included)`)}` : '';
  const pairs: [string, string][] = [
    ['requests', `${formatTokens(requests.total)} (${formatTokens(requests.successful)} ok, ${formatTokens(requests.failed)} failed)`],
    ['success rate', formatPercent(requests.successRate)],
    ['latency', `avg ${formatMs(latencyMs.avg)}   p50 ${formatMs(latencyMs.p50)}   p95 ${formatMs(latencyMs.p95)}   p99 ${formatMs(latencyMs.p99)}`],
    ['TTFT', `p50 ${formatMs(ttftMs.p50)}   p95 ${formatMs(ttftMs.p95)}   p99 ${formatMs(ttftMs.p99)}`],
    ['inter-token', `p50 ${formatMs(interTokenMs.p50)}   p95 ${formatMs(interTokenMs.p95)}`],
    ['tokens', `${formatTokens(tokens.input)} in   ${formatTokens(tokens.output)} out   ${formatTokens(tokens.total)} total`],
    ['cost', `${formatUsd(cost.totalUsd)} total   ${formatUsd(cost.perRequestUsd)} per request${unpriced}`],
    ['infrastructure', cost.infrastructureUsd === null ? style.dim('– (not time-priced)') : formatUsd(cost.infrastructureUsd)],
    ['pricing', cost.pricing],
  ];
  return `${style.bold(name)} ${style.dim(`· last ${metrics.window} (${metrics.from} → ${metrics.to})`)}\n\n${renderDetails(pairs, { keyStyle: style.dim })}`;
}
