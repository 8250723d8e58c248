import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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

interface Children {
  requests: Counter.Internal;
  latency: Histogram.Internal<string>;
  ttft: Histogram.Internal<string>;
  interToken: Histogram.Internal<string>;
  inputTokens: Counter.Internal;
  outputTokens: Counter.Internal;
  cost: Counter.Internal;
}

/**
 * The gateway's Prometheus metrics in a registry of their own (never prom-client's global one, so
 * several instances in one process, as in tests, do not collide). Labelled children are cached per
 * (deployment, route): observing is a Map lookup and a few additions.
 */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'modelport_' });
  const labelNames = ['deployment', 'route'] as const;

  const requests = new Counter({ name: 'modelport_gateway_requests_total', help: 'Gateway attempts (one per deployment tried), by outcome', labelNames: [...labelNames, 'outcome'], registers: [registry] });
  const errors = new Counter({ name: 'modelport_gateway_errors_total', help: 'Failed gateway attempts by error code', labelNames: [...labelNames, 'code'], registers: [registry] });
  const latency = new Histogram({ name: 'modelport_gateway_request_duration_seconds', help: 'Attempt latency, end to end', labelNames, buckets: LATENCY_BUCKETS_S, registers: [registry] });
  const ttft = new Histogram({ name: 'modelport_gateway_time_to_first_token_seconds', help: 'Time to first token of streamed attempts', labelNames, buckets: LATENCY_BUCKETS_S, registers: [registry] });
  const interToken = new Histogram({ name: 'modelport_gateway_inter_token_latency_seconds', help: 'Mean time between output tokens of a stream', labelNames, buckets: INTER_TOKEN_BUCKETS_S, registers: [registry] });
  const tokens = new Counter({ name: 'modelport_gateway_tokens_total', help: 'Tokens by direction', labelNames: [...labelNames, 'direction'], registers: [registry] });
  const cost = new Counter({ name: 'modelport_gateway_cost_usd_total', help: 'Cost of priced attempts, USD', labelNames, registers: [registry] });
  const unpriced = new Counter({ name: 'modelport_gateway_unpriced_requests_total', help: 'Attempts without a known price (never counted as $0)', labelNames, registers: [registry] });
  const overhead = new Histogram({ name: 'modelport_gateway_overhead_seconds', help: "modelport's own time per request, excluding waiting for upstreams", buckets: OVERHEAD_BUCKETS_S, registers: [registry] });
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
        requests: requests.labels(labels.deployment, labels.route, 'success'),
        latency: latency.labels(labels.deployment, labels.route),
        ttft: ttft.labels(labels.deployment, labels.route),
        interToken: interToken.labels(labels.deployment, labels.route),
        inputTokens: tokens.labels(labels.deployment, labels.route, 'input'),
        outputTokens: tokens.labels(labels.deployment, labels.route, 'output'),
        cost: cost.labels(labels.deployment, labels.route),
      };
      children.set(key, found);
    }
    return found;
  };

  return {
    registry,
    observeAttempt(labels, observation) {
      const child = childrenFor(labels);
      if (observation.success) child.requests.inc();
      else {
        requests.labels(labels.deployment, labels.route, 'error').inc();
        errors.labels(labels.deployment, labels.route, observation.errorCode ?? 'unknown').inc();
      }
      child.latency.observe(observation.latencyMs / 1000);
      if (observation.ttftMs !== null) child.ttft.observe(observation.ttftMs / 1000);
      if (observation.interTokenMs !== null) child.interToken.observe(observation.interTokenMs / 1000);
      if (observation.inputTokens > 0) child.inputTokens.inc(observation.inputTokens);
      if (observation.outputTokens > 0) child.outputTokens.inc(observation.outputTokens);
      if (observation.costUsd === null) unpriced.labels(labels.deployment, labels.route).inc();
      else if (observation.costUsd > 0) child.cost.inc(observation.costUsd);
    },
    observeOverhead: (microseconds) => overhead.observe(microseconds / 1_000_000),
    fallback: (route, failedDeployment) => fallbacks.labels(route, failedDeployment).inc(),
    budgetRefused: (scope, target) => budgetRefusals.labels(scope, target).inc(),
    canaryDecision: (route, decision) => canary.labels(route, decision).inc(),
  };
}
