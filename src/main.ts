import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { BODY_LIMIT, buildApp } from './api/app.js';
import type { Config } from './config/config.js';
import { platformSettings } from './config/platform-settings.js';
import { createCompletionFront } from './gateway/completion-front.js';
import { createGateway, type Gateway, type GatewayOptions } from './gateway/gateway.js';
import { createMetricsRecorder, type MetricsRecorder } from './metrics/metrics-recorder.js';
import type { Clock, PlatformConnector } from './platforms/connector.js';
import { createGuardedFetch, createGuardedLookup, type HostResolver } from './platforms/http/guarded-lookup.js';
import type { OutboundUrlPolicy } from './platforms/http/url-guard.js';
import { createLocalConnector } from './platforms/local/local-connector.js';
import { createOpenAICompatibleConnector } from './platforms/openai-compatible/openai-compatible-connector.js';
import { createModalConnector } from './platforms/modal/modal-connector.js';
import { createPredibaseConnector } from './platforms/predibase/predibase-connector.js';
import { createPlatformRegistry } from './platforms/registry.js';
import { createReplicateConnector } from './platforms/replicate/replicate-connector.js';
import { createTogetherConnector } from './platforms/together/together-connector.js';
import { createReconciler } from './reconciler/reconciler.js';
import { createConnectorContexts } from './services/connector-contexts.js';
import { createTokenService } from './services/auth/token-service.js';
import { createCredentialService } from './services/credential-service.js';
import { createCredentialSource, optionalCredentials } from './services/credentials.js';
import { createSecretBox } from './services/secret-box.js';
import { createDeploymentFeed } from './services/deployment-feed.js';
import { createDeploymentService, type DeploymentService } from './services/deployment-service.js';
import { createEndpointTestService } from './services/endpoint-test-service.js';
import { createInvocationService } from './services/invocation-service.js';
import { createMetricsService } from './services/metrics-service.js';
import { createPlatformService } from './services/platform-service.js';
import { createStore } from './store/create-store.js';
import { openGatewayStore } from './store/gateway-database.js';
import type { GatewayStore } from './store/gateway-store.js';
import type { Store } from './store/store.js';
import { systemClock } from './support/clock.js';
import { createLogger } from './support/logger.js';
import { usableCpus } from './support/usable-cpus.js';

export interface ModelportOverrides {
  clock?: Clock;
  fetch?: typeof fetch;
  /** Resolves host names of user-supplied URLs before they are judged (default dns.lookup). Tests answer names without a DNS server. */
  resolveHost?: HostResolver;
  /** Extra or replacement connectors (by id). */
  connectors?: PlatformConnector[];
  /** Start the reconciler loop (default true). Tests may drive it by hand. */
  startReconciler?: boolean;
  logWrite?: (line: string) => void;
  /** Gateway tuning (refresh intervals, seeded randomness) for tests and benchmarks. */
  gatewayOptions?: Partial<GatewayOptions>;
}

export interface Modelport {
  app: FastifyInstance;
  /** Whether requests must carry an API token (one exists). */
  requiresTokens(): boolean;
  store: Store;
  reconciler: ReturnType<typeof createReconciler>;
  config: Config;
  /** Services, for tests and benchmarks that drive them without HTTP. */
  deployments: DeploymentService;
  recorder: MetricsRecorder;
  gateway: Gateway;
  gatewayStore: GatewayStore;
  /** Stops background work, flushes metrics, closes the database. Idempotent. */
  close(): Promise<void>;
}

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The composition root: the one place that wires modelport together. */
export async function createModelport(config: Config, env: Record<string, string | undefined>, overrides: ModelportOverrides = {}): Promise<Modelport> {
  const clock = overrides.clock ?? systemClock;
  // User-supplied URLs are judged as written when a deployment is validated, and by the address their
  // host name resolves to whenever a connection is made (platforms/http/guarded-lookup.ts).
  const outboundPolicy: OutboundUrlPolicy = { allowPrivate: config.MODELPORT_ALLOW_PRIVATE_URLS };
  const resolver = overrides.resolveHost ? { resolve: overrides.resolveHost } : {};
  const local = createLocalConnector({ dataDir: config.dataDir, memoryBudgetBytes: config.MODELPORT_LOCAL_MEMORY_BUDGET_MB * 1024 * 1024 });
  const connectors = mergeConnectors(
    [
      local,
      createOpenAICompatibleConnector({ allowPrivate: outboundPolicy.allowPrivate }),
      createPredibaseConnector(),
      createTogetherConnector(),
      createReplicateConnector(),
      createModalConnector(),
    ],
    overrides.connectors ?? [],
  );
  const registry = createPlatformRegistry(connectors);
  let storedCredentials: () => Record<string, string> = () => ({});
  const credentials = createCredentialSource(env, () => storedCredentials());
  const logger = createLogger({
    level: config.MODELPORT_LOG_LEVEL,
    secrets: () => credentials.secretValues(),
    ...(overrides.logWrite ? { write: overrides.logWrite } : {}),
  });

  // Raw request rows go to SQLite from a worker thread when it has a CPU of its own (see sqlite-store.ts).
  const store = await createStore(config.databaseUrl, { requestRowsOffThread: usableCpus() >= 2 });
  await store.migrate();
  const credentialService = createCredentialService({
    store,
    box: config.MODELPORT_SECRET_KEY ? createSecretBox(config.MODELPORT_SECRET_KEY) : null,
    clock,
    logger,
    environment: () => credentials.environmentNames(),
    usedBy: (name) =>
      connectors
        .filter((connector) => connector.info.requiredCredentials.includes(name) || (optionalCredentials[connector.id] ?? []).includes(name))
        .map((connector) => connector.id),
  });
  await credentialService.refresh();
  storedCredentials = () => credentialService.values();
  // Other replicas' credential changes arrive with this refresh.
  const credentialRefresh = setInterval(() => void credentialService.refresh().catch((error: unknown) => logger.warn('credential refresh failed', { error })), 30_000);
  credentialRefresh.unref();

  const ownerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const recorder = createMetricsRecorder({
    // The recorder writes raw rows in slices with a yield between them (RAW_ROWS_PER_INSERT).
    store,
    writerId: ownerId,
    clock,
    flushIntervalMs: config.MODELPORT_METRICS_FLUSH_MS,
    retention: {
      rawRetentionMs: config.MODELPORT_RAW_RETENTION_DAYS * 86_400_000,
      rollupRetentionMs: config.MODELPORT_ROLLUP_RETENTION_DAYS * 86_400_000,
    },
    logger,
  });
  const baseFetch = overrides.fetch ?? globalThis.fetch;
  const userUrlFetch = createGuardedFetch(baseFetch, outboundPolicy, resolver);
  const contexts = createConnectorContexts({
    registry,
    credentials,
    // Every platform learns the data dir (Modal keeps its generated app files there); env settings win.
    settings: (platform) => ({ dataDir: config.dataDir, ...platformSettings(env, platform) }),
    // Only openai-compatible calls a URL the user chose; the other platforms' hosts are fixed or set by the operator.
    fetchFor: (platform) => (platform === 'openai-compatible' ? userUrlFetch : baseFetch),
    clock,
    logger,
  });
  const tokens = createTokenService({ store, clock, logger, bootstrapAdminToken: config.MODELPORT_ADMIN_TOKEN });
  await tokens.refresh();
  // Revocations by other replicas arrive with this refresh; `last used` is written in batches.
  const tokenRefresh = setInterval(() => {
    void tokens.flushUses().then(() => tokens.refresh()).catch((error: unknown) => logger.warn('token refresh failed', { error }));
  }, 10_000);
  tokenRefresh.unref();
  const feed = createDeploymentFeed();
  let nudge: (id: string) => void = () => undefined;
  const deployments = createDeploymentService({ store, registry, contexts, clock, feed, nudge: (id) => nudge(id) });
  const invocations = createInvocationService({ registry, contexts, clock, logger, sink: recorder });
  const tests = createEndpointTestService({
    store,
    deployments,
    invocations,
    clock,
    maxPromptChars: config.MODELPORT_MAX_PROMPT_CHARS,
    ratePerMinute: config.MODELPORT_TEST_RATE_LIMIT,
  });
  const metrics = createMetricsService({ store, deployments, registry, clock, recorder });
  const reconciler = createReconciler({
    store,
    registry,
    contexts,
    deployments,
    clock,
    logger,
    ownerId,
    intervalMs: config.MODELPORT_RECONCILE_INTERVAL_MS,
    leaseTtlMs: config.MODELPORT_LEASE_TTL_MS,
    observeActiveEveryMs: 15_000,
    endpointUrlFor: () => `${config.publicUrl}/v1`,
  });
  nudge = (id) => reconciler.nudge(id);

  const gatewayStore = openGatewayStore(config.databaseUrl);
  const gateway = createGateway({
    deployments,
    feed,
    invocations,
    registry,
    contexts,
    recorder,
    gatewayStore,
    clock,
    logger,
    holderId: ownerId,
    tokens,
    lookup: createGuardedLookup(outboundPolicy, resolver),
    ...(overrides.gatewayOptions ? { options: overrides.gatewayOptions } : {}),
  });
  await gateway.start();

  const app = await buildApp({
    deployments,
    tests,
    metrics,
    platforms: createPlatformService({ registry, contexts }),
    credentials: credentialService,
    tokens,
    invocations,
    gatewayPlugins: [gateway.plugin, ...(gateway.adminPlugin ? [gateway.adminPlugin] : []), gateway.metricsPlugin],
    feed,
    ping: () => store.ping(),
    logger,
    maxPromptChars: config.MODELPORT_MAX_PROMPT_CHARS,
    webDir: config.MODELPORT_WEB_DIR,
    version,
    completionFront: config.MODELPORT_GATEWAY_FRONT ? createCompletionFront({ handle: gateway.handle, tokens, bodyLimit: BODY_LIMIT, logger }) : undefined,
  });

  if (overrides.startReconciler !== false) reconciler.start();

  let closing: Promise<void> | null = null;
  return {
    app,
    requiresTokens: () => tokens.isEnforced(),
    store,
    reconciler,
    config,
    deployments,
    recorder,
    gateway,
    gatewayStore,
    close: () =>
      (closing ??= (async () => {
        clearInterval(credentialRefresh);
        clearInterval(tokenRefresh);
        // In this order: stop taking requests and let those in flight finish, then stop background work,
        // then write what is buffered, then let go of the databases.
        const steps: [string, () => Promise<void>][] = [
          ['http', () => app.close()],
          ['gateway', () => gateway.close()],
          ['reconciler', () => reconciler.stop()],
          ['metrics', () => recorder.close()],
          ['tokens', () => tokens.flushUses()],
          ['gateway store', () => gatewayStore.close()],
          ['local models', () => local.dispose()],
          ['store', () => store.close()],
        ];
        for (const [name, step] of steps) {
          const started = Date.now();
          await step();
          logger.debug('shutdown step done', { step: name, ms: Date.now() - started });
        }
      })()),
  };
}

function mergeConnectors(defaults: PlatformConnector[], extra: PlatformConnector[]): PlatformConnector[] {
  const byId = new Map(defaults.map((connector) => [connector.id, connector]));
  for (const connector of extra) byId.set(connector.id, connector);
  return [...byId.values()];
}
