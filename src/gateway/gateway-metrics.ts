import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { hotCounterFamily, hotHistogramFamily, registerHotFamily, type HotCounter, type HotHistogram } from './hot-metric-family.js';

/** The labels every gateway metric carries. `route` is empty for calls that name a deployment directly. */
export interface AttemptLabels {
  deployment: string;
  route: string;
}

/** One attempt's outcome, as Prometheus sees it. */
export interface AttemptObservation {
  success: boolean;
  errorCode: string | null;
  latencyMs: number;
  ttftMs: number | null;
  /** Mean time between output tokens of a stream; null when not a stream or fewer than two tokens. */
  interTokenMs: number | null;
  inputTokens: number;
  outputTokens: number;
  /** null = unpriced. */
  costUsd: number | null;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  observeAttempt(labels: AttemptLabels, observation: AttemptObservation): void;
  /** modelport's own time on a request (everything but waiting for upstreams). */
  observeOverhead(microseconds: number): void;
  fallback(route: string, failedDeployment: string): void;
  budgetRefused(scope: string, target: string): void;
  canaryDecision(route: string, decision: 'promoted' | 'rolled-back'): void;
}

export interface GatewayMetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC). Default true. */
  collectProcessMetrics?: boolean;
  /** Gauges read at scrape time, e.g. deployments by status. */
  deploymentsByStatus?: () => Record<string, number>;
}

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const INTER_TOKEN_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const OVERHEAD_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];

/** The series one (deployment, route) pair observes into. */
interface Children {
  successes: HotCounter;
  failures: HotCounter;
  latency: HotHistogram;
  ttft: HotHistogram;
  interToken: HotHistogram;
  inputTokens: HotCounter;
  outputTokens: HotCounter;
  cost: HotCounter;
  unpriced: HotCounter;
}

/**
 * The gateway's Prometheus metrics in a registry of their own (never prom-client's global one, so
 * several instances in one process, as in tests, do not collide). The series of a (deployment, route)
 * pair are looked up once per attempt: observing is a Map lookup and a few additions.
 */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'modelport_' });
  const labelNames = ['deployment', 'route'] as const;

  // Observed on every attempt: hot families (plain numbers; see hot-metric-family.ts).
  const requests = hotCounterFamily('modelport_gateway_requests_total', 'Gateway attempts (one per deployment tried), by outcome', [...labelNames, 'outcome']);
  const latency = hotHistogramFamily('modelport_gateway_request_duration_seconds', 'Attempt latency, end to end', labelNames, LATENCY_BUCKETS_S);
  const ttft = hotHistogramFamily('modelport_gateway_time_to_first_token_seconds', 'Time to first token of streamed attempts', labelNames, LATENCY_BUCKETS_S);
  const interToken = hotHistogramFamily('modelport_gateway_inter_token_latency_seconds', 'Mean time between output tokens of a stream', labelNames, INTER_TOKEN_BUCKETS_S);
  const tokens = hotCounterFamily('modelport_gateway_tokens_total', 'Tokens by direction', [...labelNames, 'direction']);
  const cost = hotCounterFamily('modelport_gateway_cost_usd_total', 'Cost of priced attempts, USD', labelNames);
  const unpriced = hotCounterFamily('modelport_gateway_unpriced_requests_total', 'Attempts without a known price (never counted as $0)', labelNames);
  const overhead = hotHistogramFamily('modelport_gateway_overhead_seconds', "modelport's own time per request, excluding waiting for upstreams", [], OVERHEAD_BUCKETS_S);
  for (const family of [requests, latency, ttft, interToken, tokens, cost, unpriced, overhead]) registerHotFamily(registry, family);
  const overheadSeries = overhead.series();
  // Only on failures and rare events: prom-client's own metrics.
  const errors = new Counter({ name: 'modelport_gateway_errors_total', help: 'Failed gateway attempts by error code', labelNames: [...labelNames, 'code'], registers: [registry] });
  const fallbacks = new Counter({ name: 'modelport_gateway_fallbacks_total', help: 'Requests moved to the next target after a failure before the first token', labelNames: ['route', 'deployment'], registers: [registry] });
  const budgetRefusals = new Counter({ name: 'modelport_gateway_budget_refusals_total', help: 'Requests refused because a budget was used up', labelNames: ['scope', 'target'], registers: [registry] });
  const canary = new Counter({ name: 'modelport_gateway_canary_decisions_total', help: 'Automatic canary promotions and rollbacks', labelNames: ['route', 'decision'], registers: [registry] });
  const byStatus = options.deploymentsByStatus;
  if (byStatus) {
    new Gauge({
      name: 'modelport_deployments',
      help: 'Deployments by status (as this process last saw them)',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [status, count] of Object.entries(byStatus())) this.set({ status }, count);
      },
    });
  }

  const children = new Map<string, Children>();
  const childrenFor = (labels: AttemptLabels): Children => {
    const key = `${labels.deployment}\u0000${labels.route}`;
    let found = children.get(key);
    if (found === undefined) {
      found = {
        successes: requests.series(labels.deployment, labels.route, 'success'),
        failures: requests.series(labels.deployment, labels.route, 'error'),
        latency: latency.series(labels.deployment, labels.route),
        ttft: ttft.series(labels.deployment, labels.route),
        interToken: interToken.series(labels.deployment, labels.route),
        inputTokens: tokens.series(labels.deployment, labels.route, 'input'),
        outputTokens: tokens.series(labels.deployment, labels.route, 'output'),
        cost: cost.series(labels.deployment, labels.route),
        unpriced: unpriced.series(labels.deployment, labels.route),
      };
      children.set(key, found);
    }
    return found;
  };

  return {
    registry,
    observeAttempt(labels, observation) {
      const child = childrenFor(labels);
      if (observation.success) child.successes.inc();
      else {
        child.failures.inc();
        errors.labels(labels.deployment, labels.route, observation.errorCode ?? 'unknown').inc();
      }
      child.latency.observe(observation.latencyMs / 1000);
      if (observation.ttftMs !== null) child.ttft.observe(observation.ttftMs / 1000);
      if (observation.interTokenMs !== null) child.interToken.observe(observation.interTokenMs / 1000);
      if (observation.inputTokens > 0) child.inputTokens.inc(observation.inputTokens);
      if (observation.outputTokens > 0) child.outputTokens.inc(observation.outputTokens);
      if (observation.costUsd === null) child.unpriced.inc();
      else if (observation.costUsd > 0) child.cost.inc(observation.costUsd);
    },
    observeOverhead: (microseconds) => overheadSeries.observe(microseconds / 1_000_000),
    fallback: (route, failedDeployment) => fallbacks.labels(route, failedDeployment).inc(),
    budgetRefused: (scope, target) => budgetRefusals.labels(scope, target).inc(),
    canaryDecision: (route, decision) => canary.labels(route, decision).inc(),
  };
}
