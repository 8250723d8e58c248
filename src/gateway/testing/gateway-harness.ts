import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { createErrorHandler } from '../../api/problem.js';
import type { Deployment } from '../../core/deployment.js';
import { createMetricsRecorder, type MetricsRecorder } from '../../metrics/metrics-recorder.js';
import type { Clock, PlatformConnector } from '../../platforms/connector.js';
import { createOpenAICompatibleConnector } from '../../platforms/openai-compatible/openai-compatible-connector.js';
import { createPlatformRegistry } from '../../platforms/registry.js';
import { createReconciler } from '../../reconciler/reconciler.js';
import { createConnectorContexts } from '../../services/connector-contexts.js';
import { createCredentialSource } from '../../services/credentials.js';
import { createDeploymentFeed } from '../../services/deployment-feed.js';
import { createDeploymentService, type DeploymentService } from '../../services/deployment-service.js';
import { createInvocationService } from '../../services/invocation-service.js';
import { createStore } from '../../store/create-store.js';
import { openGatewayStore } from '../../store/gateway-database.js';
import { withPacedRequestWrites } from '../../store/gateway-paced-writes.js';
import type { GatewayStore } from '../../store/gateway-store.js';
import type { Store } from '../../store/store.js';
import { systemClock } from '../../support/clock.js';
import { createLogger } from '../../support/logger.js';
import { createGateway, type Gateway, type GatewayOptions } from '../gateway.js';

/**
 * One modelport process's worth of gateway, wired like main.ts wires it (store, services, recorder,
 * reconciler, gateway plugins on a Fastify app), listening on 127.0.0.1. Test and benchmark support
 * only: the product is wired in main.ts.
 */
export interface GatewayHarness {
  /** `http://127.0.0.1:<port>`; OpenAI clients take `${url}/v1`. */
  url: string;
  app: FastifyInstance;
  gateway: Gateway;
  deployments: DeploymentService;
  store: Store;
  gatewayStore: GatewayStore;
  recorder: MetricsRecorder;
  /** A JSON request through app.inject: status, parsed body (text when not JSON) and headers. */
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /**
   * Creates an openai-compatible deployment on `baseUrl` and deploys it (the reconciler verifies the
   * server), returning it once active.
   */
  createDeployment(name: string, baseUrl: string, options?: { pricing?: { inputPerMillion: number; outputPerMillion: number }; baseModel?: string; adapters?: string[]; requestMs?: number; platform?: string }): Promise<Deployment>;
  close(): Promise<void>;
}

export interface GatewayHarnessOptions {
  /** A postgres:// URL to share with other harnesses; default a fresh SQLite file. */
  databaseUrl?: string;
  clock?: Clock;
  gateway?: Partial<GatewayOptions>;
  connectors?: PlatformConnector[];
  metricsFlushMs?: number;
  env?: Record<string, string>;
}

export async function startGatewayHarness(options: GatewayHarnessOptions = {}): Promise<GatewayHarness> {
  const clock = options.clock ?? systemClock;
  const directory = options.databaseUrl ? null : mkdtempSync(path.join(os.tmpdir(), 'modelport-gateway-'));
  const databaseUrl = options.databaseUrl ?? path.join(directory ?? '.', 'modelport.db');
  const logger = createLogger({ level: 'error', write: () => undefined });
  const connectors = options.connectors ?? [createOpenAICompatibleConnector({ allowPrivate: true })];
  const registry = createPlatformRegistry(connectors);
  const store = await createStore(databaseUrl);
  await store.migrate();
  const gatewayStore = openGatewayStore(databaseUrl);
  const ownerId = `harness:${randomUUID().slice(0, 8)}`;
  // As main.ts should: raw request rows are written in small chunks so the flush never stalls requests.
  const recorder = createMetricsRecorder({ store: withPacedRequestWrites(store), writerId: ownerId, clock, flushIntervalMs: options.metricsFlushMs ?? 200, logger });
  const contexts = createConnectorContexts({ registry, credentials: createCredentialSource(options.env ?? {}), settings: () => ({}), fetch: globalThis.fetch, clock, logger });
  const feed = createDeploymentFeed();
  let nudge: (id: string) => void = () => undefined;
  const deployments = createDeploymentService({ store, registry, contexts, clock, feed, nudge: (id) => nudge(id) });
  const invocations = createInvocationService({ registry, contexts, clock, logger, sink: recorder });
  const reconciler = createReconciler({
    store,
    registry,
    contexts,
    deployments,
    clock,
    logger,
    ownerId,
    intervalMs: 50,
    leaseTtlMs: 5_000,
    observeActiveEveryMs: 60_000,
    endpointUrlFor: () => 'http://127.0.0.1/v1',
  });
  nudge = (id) => reconciler.nudge(id);

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
    options: { collectProcessMetrics: false, ...options.gateway },
  });
  await gateway.start();

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(createErrorHandler(logger));
  await app.register(gateway.plugin);
  if (gateway.adminPlugin) await app.register(gateway.adminPlugin);
  await app.register(gateway.metricsPlugin);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    app,
    gateway,
    deployments,
    store,
    gatewayStore,
    recorder,
    async call(method, url, body) {
      const response = await app.inject({
        method,
        url,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }),
      });
      let parsed: unknown = response.body;
      try {
        parsed = response.body ? JSON.parse(response.body) : null;
      } catch {
        // not JSON (Prometheus text): keep it
      }
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async createDeployment(name, baseUrl, deploymentOptions = {}) {
      const adapters = deploymentOptions.adapters ?? [];
      const { deployment } = await deployments.create(
        {
          name,
          platform: deploymentOptions.platform ?? 'openai-compatible',
          baseModel: deploymentOptions.baseModel ?? 'fake-base',
          extraAdapters: adapters.map((id) => ({ id })),
          scaling: { minReplicas: 1, maxReplicas: 1 },
          timeouts: { requestMs: deploymentOptions.requestMs ?? 10_000 },
          platformOptions: { baseUrl, ...(deploymentOptions.pricing ? { pricing: deploymentOptions.pricing } : {}) },
        },
        { name: 'test' },
      );
      await deployments.deploy(deployment.id, { name: 'test' });
      for (let round = 0; round < 50; round++) {
        await reconciler.reconcileOne(deployment.id);
        const current = await deployments.get(deployment.id);
        if (current.status === 'active') return current;
        if (current.status === 'failed') throw new Error(`deployment ${name} failed: ${current.lastError?.message ?? ''}`);
      }
      throw new Error(`deployment ${name} did not become active`);
    },
    async close() {
      await app.close();
      await gateway.close();
      await reconciler.stop();
      await recorder.close();
      await gatewayStore.close();
      await store.close();
      if (directory) rmSync(directory, { recursive: true, force: true });
    },
  };
}
