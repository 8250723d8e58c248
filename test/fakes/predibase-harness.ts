import { DeploymentSpecSchema, type DeploymentSpec, type DeploymentSpecInput } from '../../src/core/deployment-spec.js';
import type { PlatformConnector } from '../../src/platforms/connector.js';
import { createTestContext, type TestConnectorContext } from '../../src/platforms/contract/test-context.js';
import { createPredibaseConnector, type PredibaseConnectorOptions } from '../../src/platforms/predibase/predibase-connector.js';
import { startPredibaseFake, type PredibaseFake, type PredibaseFakeOptions } from './predibase-fake.js';

/** A Predibase fake, a connector pointed at it, and builders for specs and contexts. */
export interface PredibaseHarness {
  fake: PredibaseFake;
  connector: PlatformConnector;
  /** A private-deployment spec the fake can serve, with overrides. */
  spec(overrides?: Partial<DeploymentSpecInput>): DeploymentSpec;
  /** A shared-endpoint spec (`qwen3-8b`). */
  sharedSpec(overrides?: Partial<DeploymentSpecInput>): DeploymentSpec;
  context(deploymentId?: string, overrides?: { settings?: Record<string, string>; credentials?: Record<string, string> }): TestConnectorContext;
  close(): Promise<void>;
}

export async function startPredibaseHarness(
  options: { fake?: PredibaseFakeOptions; connector?: PredibaseConnectorOptions } = {},
): Promise<PredibaseHarness> {
  const fake = await startPredibaseFake(options.fake);
  // Short backoff and timeouts keep fault tests to milliseconds.
  const connector = createPredibaseConnector({ backoff: { baseMs: 1, capMs: 5 }, timeoutMs: 2_000, ...options.connector });
  return {
    fake,
    connector,
    spec: (overrides = {}) =>
      DeploymentSpecSchema.parse({
        name: 'support-bot',
        platform: 'predibase',
        baseModel: 'qwen3-8b',
        adapter: { id: 'support-bot/1' },
        hardware: 'a10_24gb_100',
        scaling: { minReplicas: 0, maxReplicas: 1, scaleDownDelaySeconds: 900 },
        timeouts: { requestMs: 5_000 },
        ...overrides,
      }),
    sharedSpec: (overrides = {}) =>
      DeploymentSpecSchema.parse({
        name: 'shared-bot',
        platform: 'predibase',
        baseModel: 'qwen3-8b',
        adapter: { id: 'support-bot/2', source: 'pbase' },
        platformOptions: { predibase: { mode: 'shared' } },
        timeouts: { requestMs: 5_000 },
        ...overrides,
      }),
    context: (deploymentId = 'dep-0001', overrides = {}) =>
      createTestContext({
        deploymentId,
        credentials: { PREDIBASE_API_TOKEN: fake.token, ...overrides.credentials },
        settings: { baseUrl: fake.url, servingUrl: fake.url, ...overrides.settings },
      }),
    close: () => fake.close(),
  };
}
