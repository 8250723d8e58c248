import { DeploymentSpecSchema, type DeploymentSpec, type DeploymentSpecInput } from '../../src/core/deployment-spec.js';
import type { InvokeEvent } from '../../src/core/invocation.js';
import type { Clock } from '../../src/platforms/connector.js';
import { createTestContext, type TestConnectorContext } from '../../src/platforms/contract/test-context.js';
import { createTogetherConnector, type TogetherConnector, type TogetherConnectorOptions } from '../../src/platforms/together/together-connector.js';
import { startTogetherFake, type TogetherFake, type TogetherFakeOptions } from './together-fake.js';

/**
 * Wiring for Together connector tests: a fake, a connector with short backoff, and contexts pointed at
 * the fake. Sleeps between retries return at once but are recorded, so tests can check what was waited.
 */

export interface TogetherHarness {
  fake: TogetherFake;
  connector: TogetherConnector;
  /** Every delay the connector asked the clock to sleep, in ms. */
  sleeps: number[];
  context(deploymentId?: string, overrides?: Partial<TestConnectorContext>): TestConnectorContext;
  close(): Promise<void>;
}

export function dedicatedSpec(overrides: Partial<DeploymentSpecInput> = {}): DeploymentSpec {
  return DeploymentSpecSchema.parse({
    name: 'support-bot',
    platform: 'together',
    baseModel: 'Qwen/Qwen3.5-9B-FP8',
    hardware: '1x_nvidia_h100_80gb_sxm',
    scaling: { minReplicas: 1, maxReplicas: 2 },
    ...overrides,
  });
}

export function serverlessSpec(overrides: Partial<DeploymentSpecInput> = {}): DeploymentSpec {
  return DeploymentSpecSchema.parse({
    name: 'support-lora',
    platform: 'together',
    baseModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
    adapter: { id: 'acme/support-lora' },
    ...overrides,
  });
}

export async function startTogetherHarness(
  fakeOptions: TogetherFakeOptions = {},
  connectorOptions: TogetherConnectorOptions = {},
): Promise<TogetherHarness> {
  const fake = await startTogetherFake(fakeOptions);
  const connector = createTogetherConnector({ backoff: { baseMs: 1, capMs: 5 }, timeoutMs: 2_000, ...connectorOptions });
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      signal?.throwIfAborted();
    },
  };
  return {
    fake,
    connector,
    sleeps,
    context: (deploymentId = '01JTOGETHER0000000000000001', overrides = {}) =>
      createTestContext({
        deploymentId,
        clock,
        credentials: { TOGETHER_API_KEY: fake.apiKey },
        settings: { baseUrl: fake.baseUrl },
        ...overrides,
      }),
    close: () => fake.close(),
  };
}

/** Drains an invoke into its text and final event. */
export async function collect(events: AsyncIterable<InvokeEvent>) {
  let text = '';
  const deltas: string[] = [];
  let done: Extract<InvokeEvent, { type: 'done' }> | null = null;
  for await (const event of events) {
    if (event.type === 'delta') {
      text += event.text;
      deltas.push(event.text);
    } else done = event;
  }
  return { text, deltas, done };
}
