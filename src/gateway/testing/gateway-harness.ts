import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/config.js';
import type { Deployment } from '../../core/deployment.js';
import { createModelport } from '../../main.js';
import type { MetricsRecorder } from '../../metrics/metrics-recorder.js';
import type { Clock, PlatformConnector } from '../../platforms/connector.js';
import type { DeploymentService } from '../../services/deployment-service.js';
import type { GatewayStore } from '../../store/gateway-store.js';
import type { Store } from '../../store/store.js';
import type { Gateway, GatewayOptions } from '../gateway.js';

/**
 * One modelport process (createModelport, the product's own wiring) listening on 127.0.0.1, with the
 * reconciler driven by hand. Test and benchmark support
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
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
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
  const directory = mkdtempSync(path.join(os.tmpdir(), 'modelport-gateway-'));
  const env: Record<string, string> = {
    MODELPORT_DATA_DIR: directory,
    MODELPORT_LOG_LEVEL: 'error',
    MODELPORT_METRICS_FLUSH_MS: String(options.metricsFlushMs ?? 200),
    MODELPORT_LEASE_TTL_MS: '5000',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  // The real composition root: the gateway under test is wired exactly as the product wires it.
  const modelport = await createModelport(loadConfig(env), env, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.connectors ? { connectors: options.connectors } : {}),
    startReconciler: false,
    logWrite: () => undefined,
    gatewayOptions: { collectProcessMetrics: false, ...options.gateway },
  });
  const { app, gateway, deployments, store, gatewayStore, recorder } = modelport;
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
    async call(method, url, body, headers = {}) {
      const response = await app.inject({
        method,
        url,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
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
        await modelport.reconciler.reconcileOne(deployment.id);
        const current = await deployments.get(deployment.id);
        if (current.status === 'active') return current;
        if (current.status === 'failed') throw new Error(`deployment ${name} failed: ${current.lastError?.message ?? ''}`);
      }
      throw new Error(`deployment ${name} did not become active`);
    },
    async close() {
      await modelport.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
