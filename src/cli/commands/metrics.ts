import { Option, type Command } from 'commander';
import { renderMetrics } from '../output/metrics-view.js';
import { withExamples, type ContextFactory } from './command-kit.js';

export const metricsWindows = ['1h', '24h', '7d', '30d'] as const;

/** `modelport metrics <name> [--window]`: requests, success, latency, TTFT and inter-token latency percentiles, tokens, cost. */
export function registerMetricsCommand(program: Command, contextFor: ContextFactory): void {
  withExamples(
    program
      .command('metrics <name>')
      .description('usage of a deployment over a window: requests, success rate, latency, TTFT and inter-token latency percentiles, tokens, cost')
      .addOption(new Option('-w, --window <window>', 'time window').choices(metricsWindows).default('24h')),
    ['modelport metrics support-bot', 'modelport metrics support-bot --window 7d', 'modelport metrics support-bot --json | jq .latencyMs.p95'],
  ).action(async (name: string, options: { window: string }, command: Command) => {
    const context = contextFor(command);
    const metrics = await context.client.metrics(name, options.window);
    if (context.json) context.printJson(metrics);
    else context.print(renderMetrics(name, metrics, context.style));
  });
}
