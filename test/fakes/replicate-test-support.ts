import { DeploymentSpecSchema, type DeploymentSpec, type DeploymentSpecInput } from '../../src/core/deployment-spec.js';
import type { InvokeEvent, InvokeRequest } from '../../src/core/invocation.js';
import type { Clock } from '../../src/platforms/connector.js';
import { createTestContext, type TestConnectorContext } from '../../src/platforms/contract/test-context.js';
import { FAKE_MODEL, FAKE_VERSION, type ReplicateFake } from './replicate-fake.js';

/** Shared set-up for the Replicate connector tests (imported by *.test.ts only). */

/**
 * The context a test connector call gets: the fake's token and URL, wall time that follows the fake's
 * virtual clock (so cold-boot budgets age with `fake.advance`), and sleeps that return at once but are
 * recorded, so backoff and Retry-After waits can be asserted without waiting.
 */
export function replicateTestContext(
  fake: ReplicateFake,
  overrides: Partial<TestConnectorContext> & { sleeps?: number[] } = {},
): TestConnectorContext & { sleeps: number[] } {
  const sleeps = overrides.sleeps ?? [];
  const clock: Clock = {
    now: () => fake.now(),
    monotonic: () => performance.now(),
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      // Yield to the event loop so polling loops stay fair, without waiting for real.
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    },
  };
  const { sleeps: _ignored, ...rest } = overrides;
  const context = createTestContext({
    deploymentId: 'dep-01JABCDEF',
    credentials: { REPLICATE_API_TOKEN: fake.token },
    settings: { baseUrl: fake.baseUrl },
    clock,
    ...rest,
  });
  return Object.assign(context, { sleeps });
}

export function replicateSpec(overrides: Partial<DeploymentSpecInput> = {}): DeploymentSpec {
  return DeploymentSpecSchema.parse({
    name: 'support-bot',
    platform: 'replicate',
    baseModel: `${FAKE_MODEL}:${FAKE_VERSION}`,
    hardware: 'gpu-l40s',
    scaling: { minReplicas: 0, maxReplicas: 2 },
    ...overrides,
  });
}

export function chatRequest(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    messages: [{ role: 'user', content: 'Hello there' }],
    adapterId: null,
    maxTokens: 64,
    temperature: 0.2,
    topP: 0.9,
    stop: [],
    ...overrides,
  };
}

export async function collect(events: AsyncIterable<InvokeEvent>): Promise<InvokeEvent[]> {
  const all: InvokeEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

export function textOf(events: InvokeEvent[]): string {
  return events.map((event) => (event.type === 'delta' ? event.text : '')).join('');
}

export function doneOf(events: InvokeEvent[]): Extract<InvokeEvent, { type: 'done' }> {
  const done = events.filter((event): event is Extract<InvokeEvent, { type: 'done' }> => event.type === 'done');
  if (done.length !== 1) throw new Error(`expected exactly one done event, got ${done.length}`);
  const [only] = done;
  if (!only) throw new Error('no done event');
  return only;
}

/** Runs `promise` and returns what it rejected with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but it resolved');
}
