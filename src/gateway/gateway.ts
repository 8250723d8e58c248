import type { LookupFunction } from 'node:net';
import type { FastifyPluginAsync } from 'fastify';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { Clock, Logger } from '../platforms/connector.js';
import type { PlatformRegistry } from '../platforms/registry.js';
import type { ConnectorContexts } from '../services/connector-contexts.js';
import type { DeploymentFeed } from '../services/deployment-feed.js';
import type { DeploymentService } from '../services/deployment-service.js';
import type { InvocationService } from '../services/invocation-service.js';
import type { GatewayStore } from '../store/gateway-store.js';
import { budgetAdminRoutes } from './budget-admin-routes.js';
import { createBudgetLedger, type BudgetLedger } from './budget-ledger.js';
import { createBudgetService, type BudgetService, type TokenDirectory } from './budget-service.js';
import { createCanaryEvaluator, type CanaryEvaluator } from './canary-evaluator.js';
import { createCanaryStatsCollector } from './canary-stats.js';
import { createCompletionHandler, type CompletionHandler } from './completion-handler.js';
import { createDeploymentCache, type DeploymentCache } from './deployment-cache.js';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.js';
import { gatewayRoutes } from './gateway-routes.js';
import { defaultPassthroughResolvers, type PassthroughResolver } from './passthrough-targets.js';
import { prometheusRoutes } from './prometheus-routes.js';
import { routeAdminRoutes } from './route-admin-routes.js';
import { createRouteBudgetCache, type RouteBudgetCache } from './route-budget-cache.js';
import { createRouteService, type RouteService } from './route-service.js';
import { createTokenRateLimiter, type TokenRateLimiter } from './token-rate-limiter.js';
import { createUpstreamClient } from './upstream-client.js';

export interface GatewayOptions {
  /** How often routes, budgets and deployments are reloaded (other replicas' changes). Default 1000 ms. */
  refreshMs: number;
  /** How often settled budget spend is written back. Default 1000 ms. */
  budgetFlushMs: number;
  /** A replica silent this long loses its budget allowance (counted as spent). Default 30 000 ms. */
  budgetLeaseTtlMs: number;
  /** How often running canaries are judged. Default 5000 ms. */
  canaryIntervalMs: number;
  /** Output tokens a budgeted request without max_tokens reserves, and is capped at. Default 4096. */
  defaultMaxTokens: number;
  /** max_tokens on the connector path when a request sets none. Default 256. */
  connectorDefaultMaxTokens: number;
  /** Process metrics (CPU, memory, event loop, GC) on /metrics. Default true. */
  collectProcessMetrics: boolean;
  /** Platforms whose requests are forwarded byte for byte. Default: openai-compatible. */
  passthrough: Partial<Record<string, PassthroughResolver>>;
  /** For weighted picks; tests pass a seeded one. */
  random: () => number;
}

export interface GatewayDeps {
  deployments: DeploymentService;
  feed: DeploymentFeed;
  invocations: InvocationService;
  registry: PlatformRegistry;
  contexts: ConnectorContexts;
  /** Records pass-through requests (the connector path records through the invocation service). */
  recorder: Pick<MetricsRecorder, 'record'>;
  /** Routes and budgets; null runs the gateway on deployments alone. */
  gatewayStore: GatewayStore | null;
  clock: Clock;
  logger: Logger;
  /** Names this process as holder of budget allowance; unique per process instance. */
  holderId: string;
  /** API tokens, for token budgets; without it, token budgets cannot be created. */
  tokens?: TokenDirectory;
  /**
   * DNS lookup for pass-through upstream connections: the guarded one (platforms/http/guarded-lookup.ts),
   * so a base URL whose name resolves to a refused address is never connected to.
   */
  lookup: LookupFunction;
  options?: Partial<GatewayOptions>;
}

/** The gateway, built: Fastify plugins to register, services for other surfaces, and its lifecycle. */
export interface Gateway {
  /** `/v1/chat/completions`, `/v1/completions`, `/v1/models`. */
  plugin: FastifyPluginAsync;
  /** The request path of `/v1/chat/completions` and `/v1/completions`, for the completion front. */
  handle: CompletionHandler;
  /** `/api/routes…` and `/api/budgets…`; null without a gateway store. */
  adminPlugin: FastifyPluginAsync | null;
  /** `/metrics` (Prometheus). */
  metricsPlugin: FastifyPluginAsync;
  metrics: GatewayMetrics;
  routes: RouteService | null;
  budgets: BudgetService | null;
  canary: CanaryEvaluator | null;
  ledger: BudgetLedger | null;
  /** API tokens' requests per minute; null without a gateway store. */
  rateLimiter: TokenRateLimiter | null;
  deploymentCache: DeploymentCache;
  routeCache: RouteBudgetCache | null;
  /** Loads the caches and starts the background work. Call before serving. */
  start(): Promise<void>;
  /** Stops background work and returns unused budget allowance. Idempotent. */
  close(): Promise<void>;
}

const defaults: Omit<GatewayOptions, 'passthrough' | 'random'> = {
  refreshMs: 1_000,
  budgetFlushMs: 1_000,
  budgetLeaseTtlMs: 30_000,
  canaryIntervalMs: 5_000,
  defaultMaxTokens: 4_096,
  connectorDefaultMaxTokens: 256,
  collectProcessMetrics: true,
};

/** Builds the gateway from the services main.ts already has. */
export function createGateway(deps: GatewayDeps): Gateway {
  const options: GatewayOptions = { ...defaults, passthrough: defaultPassthroughResolvers, random: Math.random, ...deps.options };
  const { clock, logger } = deps;
  const never = new AbortController().signal;

  const deploymentCache = createDeploymentCache({
    listVersions: () => deps.deployments.listVersions(),
    getMany: (ids) => deps.deployments.getMany(ids),
    feed: deps.feed,
    refreshMs: options.refreshMs,
    logger,
    planInputs(deployment) {
      const { credentials, settings } = deps.contexts.create(deployment.id, deployment.config, never);
      return { key: JSON.stringify([credentials, settings]), value: credentials };
    },
    planFor(deployment, credentials) {
      const connector = deps.registry.has(deployment.platform) ? deps.registry.get(deployment.platform) : null;
      const resolver = options.passthrough[deployment.platform];
      let passthrough = null;
      // A deployment its platform would now refuse (a URL no longer allowed) is not forwarded byte for
      // byte: the connector path applies the platform's checks and refuses it.
      if (resolver && connector && connector.validate(deployment.config).length === 0) {
        try {
          passthrough = resolver(deployment, credentials);
        } catch {
          passthrough = null; // the connector path reports what is wrong
        }
      }
      return { price: connector?.tokenPrice(deployment.config) ?? null, passthrough };
    },
  });

  const metrics = createGatewayMetrics({
    collectProcessMetrics: options.collectProcessMetrics,
    deploymentsByStatus: () => {
      const counts: Record<string, number> = {};
      for (const plan of deploymentCache.all()) counts[plan.deployment.status] = (counts[plan.deployment.status] ?? 0) + 1;
      return counts;
    },
  });

  const gatewayStore = deps.gatewayStore;
  const routeCache = gatewayStore ? createRouteBudgetCache({ store: gatewayStore, refreshMs: options.refreshMs, logger }) : null;
  let budgets: BudgetService | null = null;
  const ledger = gatewayStore
    ? createBudgetLedger({
        store: gatewayStore.budgets,
        holder: deps.holderId,
        clock,
        flushMs: options.budgetFlushMs,
        leaseTtlMs: options.budgetLeaseTtlMs,
        logger,
        onExhausted: (budget, periodStart) => {
          budgets?.enforce(budget, periodStart).catch((error: unknown) => logger.warn('budget action failed', { budget: budget.id, error: String(error) }));
        },
      })
    : null;
  if (gatewayStore && routeCache && ledger) {
    budgets = createBudgetService({
      store: gatewayStore,
      cache: routeCache,
      ledger,
      deployments: deps.deployments,
      canScaleToZero: (platform) => deps.registry.has(platform) && deps.registry.get(platform).capabilities.scaleToZero,
      tokens: deps.tokens ?? null,
      clock,
      logger,
    });
  }
  const routes = gatewayStore && routeCache ? createRouteService({ store: gatewayStore, cache: routeCache, deployments: deps.deployments, clock }) : null;
  const rateLimiter = gatewayStore ? createTokenRateLimiter({ store: gatewayStore.rateLimits, clock, logger }) : null;
  const canaryStats = gatewayStore ? createCanaryStatsCollector({ store: gatewayStore.canaryStats, writerId: deps.holderId, clock, flushMs: options.budgetFlushMs, logger }) : null;
  const canary =
    gatewayStore && routeCache && canaryStats
      ? createCanaryEvaluator({ store: gatewayStore, routes: routeCache, collector: canaryStats, clock, metrics, logger, intervalMs: options.canaryIntervalMs })
      : null;

  const upstream = createUpstreamClient({ lookup: deps.lookup });
  const handle = createCompletionHandler({
    deployments: deploymentCache,
    routesAndBudgets: routeCache,
    ledger,
    rateLimiter,
    canaryStats,
    invocations: deps.invocations,
    upstream,
    sink: deps.recorder,
    metrics,
    clock,
    logger,
    defaultMaxTokens: options.defaultMaxTokens,
    connectorDefaultMaxTokens: options.connectorDefaultMaxTokens,
    random: options.random,
  });

  const routesPlugin = routes ? routeAdminRoutes(routes) : null;
  const budgetsPlugin = budgets ? budgetAdminRoutes(budgets) : null;
  let closing: Promise<void> | null = null;

  return {
    plugin: gatewayRoutes({ handle, deployments: deploymentCache, routes: routeCache }),
    handle,
    adminPlugin:
      routesPlugin && budgetsPlugin
        ? async (app) => {
            await app.register(routesPlugin);
            await app.register(budgetsPlugin);
          }
        : null,
    metricsPlugin: prometheusRoutes(metrics.registry),
    metrics,
    routes,
    budgets,
    canary,
    ledger,
    rateLimiter,
    deploymentCache,
    routeCache,
    async start() {
      await Promise.all([deploymentCache.start(), routeCache?.start()]);
      ledger?.start();
      canaryStats?.start();
      canary?.start();
    },
    close: () =>
      (closing ??= (async () => {
        await canary?.close();
        await Promise.all([routeCache?.close(), deploymentCache.close()]);
        try {
          await ledger?.close();
        } catch (error) {
          logger.warn('returning budget allowance failed; it is reclaimed when its lease expires', { error: String(error) });
        }
        await canaryStats?.close().catch((error: unknown) => logger.warn('canary statistics flush failed', { error: String(error) }));
        upstream.close();
      })()),
  };
}
