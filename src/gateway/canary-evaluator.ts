import { periodic } from '../core/periodic.js';
import { ConflictError, NotFoundError } from '../core/errors/index.js';
import { createLatencySketch } from '../metrics/latency-sketch.js';
import type { Logger } from '../platforms/connector.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { CanaryRole, CanaryStatsCollector } from './canary-stats.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { RouteBudgetCache } from './route-budget-cache.js';
import type { Canary, Route, RouteSpec } from './route-spec.js';

/** What the canary (or the baseline targets together) did for the route since the canary started. */
export interface WindowStats {
  requests: number;
  errors: number;
  /** null when there were no requests. */
  errorRate: number | null;
  latencyP95Ms: number | null;
  ttftP95Ms: number | null;
}

export type CanaryVerdict =
  | { action: 'wait'; reason: string }
  | { action: 'promote' | 'rollback'; reason: 'healthy' | 'error-rate' | 'latency-p95' | 'ttft-p95' | 'insufficient-traffic'; explanation: string };

/** With fewer canary requests than `minRequests` after this many windows, the canary is rolled back. */
const MAX_WINDOWS_WITHOUT_TRAFFIC = 4;

/**
 * The canary rule, pure. Regressions roll back as soon as the canary has `minRequests` (a bad canary
 * should not keep hurting users until the window ends); promotion needs the whole window. Latency and
 * TTFT are compared only when the baseline has values to compare with.
 */
export function judgeCanary(canary: Canary, canaryStats: WindowStats, baseline: WindowStats, elapsedMs: number): CanaryVerdict {
  const enough = canaryStats.requests >= canary.minRequests;
  if (enough) {
    const delta = (canaryStats.errorRate ?? 0) - (baseline.errorRate ?? 0);
    if (delta > canary.maxErrorRateDelta) {
      return { action: 'rollback', reason: 'error-rate', explanation: `canary error rate ${percent(canaryStats.errorRate)} vs baseline ${percent(baseline.errorRate)}: +${(delta * 100).toFixed(1)} points, above the allowed ${(canary.maxErrorRateDelta * 100).toFixed(1)}` };
    }
    if (canaryStats.latencyP95Ms !== null && baseline.latencyP95Ms !== null && baseline.latencyP95Ms > 0 && canaryStats.latencyP95Ms > baseline.latencyP95Ms * canary.maxLatencyP95Ratio) {
      return { action: 'rollback', reason: 'latency-p95', explanation: `canary latency p95 ${canaryStats.latencyP95Ms.toFixed(1)} ms vs baseline ${baseline.latencyP95Ms.toFixed(1)} ms: ×${(canaryStats.latencyP95Ms / baseline.latencyP95Ms).toFixed(2)}, above the allowed ×${canary.maxLatencyP95Ratio}` };
    }
    if (canaryStats.ttftP95Ms !== null && baseline.ttftP95Ms !== null && baseline.ttftP95Ms > 0 && canaryStats.ttftP95Ms > baseline.ttftP95Ms * canary.maxTtftP95Ratio) {
      return { action: 'rollback', reason: 'ttft-p95', explanation: `canary TTFT p95 ${canaryStats.ttftP95Ms.toFixed(1)} ms vs baseline ${baseline.ttftP95Ms.toFixed(1)} ms: ×${(canaryStats.ttftP95Ms / baseline.ttftP95Ms).toFixed(2)}, above the allowed ×${canary.maxTtftP95Ratio}` };
    }
  }
  if (elapsedMs < canary.windowMs) return { action: 'wait', reason: 'window not over' };
  if (!enough) {
    if (elapsedMs >= canary.windowMs * MAX_WINDOWS_WITHOUT_TRAFFIC) {
      return { action: 'rollback', reason: 'insufficient-traffic', explanation: `only ${canaryStats.requests} canary requests after ${Math.round(elapsedMs / 1000)} s (at least ${canary.minRequests} needed to promote)` };
    }
    return { action: 'wait', reason: `${canaryStats.requests} of ${canary.minRequests} canary requests` };
  }
  return { action: 'promote', reason: 'healthy', explanation: `canary within limits over ${canaryStats.requests} requests: error rate ${percent(canaryStats.errorRate)} (baseline ${percent(baseline.errorRate)}), latency p95 ${ms(canaryStats.latencyP95Ms)} (baseline ${ms(baseline.latencyP95Ms)}), TTFT p95 ${ms(canaryStats.ttftP95Ms)} (baseline ${ms(baseline.ttftP95Ms)})` };
}

/** The route after a decision: promotion makes the canary the only target; rollback just removes it. */
export function applyVerdict(spec: RouteSpec, action: 'promote' | 'rollback'): RouteSpec {
  const canary = spec.canary;
  if (canary === null) return spec;
  if (action === 'rollback') return { ...spec, canary: null };
  return { ...spec, canary: null, targets: [{ deployment: canary.deployment, adapter: canary.adapter ?? null, weight: 100 }] };
}

export interface CanaryEvaluatorDeps {
  store: GatewayStore;
  routes: RouteBudgetCache;
  /** This process's canary statistics: flushed before judging so its own latest requests count. */
  collector: CanaryStatsCollector;
  clock: { now(): number };
  metrics: GatewayMetrics;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** How often routes with a canary are judged. Default 5 s. */
  intervalMs?: number;
}

export interface CanaryDecision {
  route: string;
  action: 'promote' | 'rollback';
  reason: string;
}

/**
 * Judges running canaries from the canary statistics every replica writes (requests through the route
 * since the canary started, canary vs baseline targets), and writes a decision as a compare-and-set on
 * the route with its event: when several replicas judge at once, one write wins and the others see the
 * route changed.
 */
export function createCanaryEvaluator(deps: CanaryEvaluatorDeps) {
  const intervalMs = deps.intervalMs ?? 5_000;

  async function statsOf(route: Route, canary: Canary): Promise<Record<CanaryRole, WindowStats>> {
    const rows = await deps.store.canaryStats.list(route.id, canary.startedAt);
    const merge = (role: CanaryRole): WindowStats => {
      const latency = createLatencySketch();
      const ttft = createLatencySketch();
      let requests = 0;
      let errors = 0;
      for (const row of rows) {
        if (row.role !== role) continue;
        requests += row.requests;
        errors += row.errors;
        latency.mergeSerialized(row.latencySketch);
        ttft.mergeSerialized(row.ttftSketch);
      }
      return { requests, errors, errorRate: requests === 0 ? null : errors / requests, latencyP95Ms: latency.quantile(0.95), ttftP95Ms: ttft.quantile(0.95) };
    };
    return { canary: merge('canary'), baseline: merge('baseline') };
  }

  async function judge(route: Route): Promise<CanaryDecision | null> {
    const canary = route.spec.canary;
    if (canary === null) return null;
    const now = deps.clock.now();
    const from = Date.parse(canary.startedAt);
    const baselineNames = route.spec.targets.filter((target) => target.weight > 0).map((target) => target.deployment);
    const { canary: canaryStats, baseline } = await statsOf(route, canary);
    const verdict = judgeCanary(canary, canaryStats, baseline, now - from);
    if (verdict.action === 'wait') return null;
    const kind = verdict.action === 'promote' ? 'canary-promoted' : 'canary-rolled-back';
    try {
      await deps.store.routes.write(
        route.id,
        route.version,
        applyVerdict(route.spec, verdict.action),
        {
          kind,
          reason: verdict.reason,
          actor: 'canary',
          details: {
            explanation: verdict.explanation,
            canary: { deployment: canary.deployment, adapter: canary.adapter ?? null, weight: canary.weight, ...canaryStats },
            baseline: { deployments: baselineNames, ...baseline },
            thresholds: { maxErrorRateDelta: canary.maxErrorRateDelta, maxLatencyP95Ratio: canary.maxLatencyP95Ratio, maxTtftP95Ratio: canary.maxTtftP95Ratio, minRequests: canary.minRequests, windowMs: canary.windowMs },
            previousTargets: route.spec.targets,
          },
        },
        new Date(now).toISOString(),
      );
    } catch (error) {
      // Another replica decided first, or someone edited the route: its next version is judged afresh.
      if (error instanceof ConflictError || error instanceof NotFoundError) return null;
      throw error;
    }
    deps.metrics.canaryDecision(route.name, verdict.action === 'promote' ? 'promoted' : 'rolled-back');
    deps.logger.info(`canary ${verdict.action === 'promote' ? 'promoted' : 'rolled back'}`, { route: route.name, deployment: canary.deployment, reason: verdict.reason });
    return { route: route.name, action: verdict.action, reason: verdict.reason };
  }

  async function evaluate(): Promise<CanaryDecision[]> {
    const decisions: CanaryDecision[] = [];
    await deps.collector.flush().catch((error: unknown) => deps.logger.warn('canary statistics flush failed', { error: String(error) }));
    for (const compiled of [...deps.routes.routes()]) {
      if (compiled.route.spec.canary === null) continue;
      try {
        const decision = await judge(compiled.route);
        if (decision) decisions.push(decision);
      } catch (error) {
        deps.logger.warn('canary evaluation failed', { route: compiled.route.name, error: String(error) });
      }
    }
    if (decisions.length > 0) await deps.routes.refresh();
    return decisions;
  }

  const judging = periodic(intervalMs, evaluate, (error) => deps.logger.warn('canary evaluation failed', { error: String(error) }));

  return {
    /** Judges every running canary once; returns the decisions written by this process. */
    evaluate,
    start: judging.start,
    /** Stops judging; resolves once an evaluation under way has ended. */
    close: judging.stop,
  };
}

export type CanaryEvaluator = ReturnType<typeof createCanaryEvaluator>;

function percent(rate: number | null): string {
  return rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

function ms(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(1)} ms`;
}
