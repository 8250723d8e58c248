import { describe, expect, it } from 'vitest';
import { createScriptedConnector } from '../../test/fakes/scripted-connector.js';
import { DeploymentSpecSchema } from '../core/deployment-spec.js';
import type { Deployment } from '../core/deployment.js';
import { ModelportError } from '../core/errors/index.js';
import type { InvokeEvent, RequestRecord } from '../core/invocation.js';
import type { Clock, Logger } from '../platforms/connector.js';
import { createPlatformRegistry } from '../platforms/registry.js';
import type { ConnectorContexts } from './connector-contexts.js';
import { createInvocationService, type InvocationResult } from './invocation-service.js';

/** A step of the scripted answer: wait `afterMs` on the clock, then emit the event (or fail). */
type Step = { afterMs: number; event: InvokeEvent } | { afterMs: number; fail: ModelportError };

const done: InvokeEvent = { type: 'done', usage: { inputTokens: 5, outputTokens: 4, estimated: false }, finishReason: 'stop' };
const delta = (text: string): InvokeEvent => ({ type: 'delta', text });

/**
 * The invocation service over a connector whose answer is timed on a hand-driven clock, so TTFT and
 * inter-token latency are exact.
 */
function setup(steps: Step[]) {
  let monotonic = 1_000;
  const clock: Clock = {
    now: () => Date.UTC(2025, 5, 1) + monotonic,
    monotonic: () => monotonic,
    sleep: async () => undefined,
  };
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const { connector } = createScriptedConnector('replicate');
  connector.invoke = async function* () {
    for (const step of steps) {
      monotonic += step.afterMs;
      if ('fail' in step) throw step.fail;
      yield step.event;
    }
  };
  const registry = createPlatformRegistry([connector]);
  const contexts: ConnectorContexts = {
    create: (deploymentId, _spec, signal) => ({ deploymentId, fetch, clock, logger, credentials: {}, settings: {}, signal }),
    missingCredentials: () => [],
  };
  const records: RequestRecord[] = [];
  const service = createInvocationService({ registry, contexts, clock, logger, sink: { record: (record) => records.push(record) } });
  const deployment: Deployment = {
    id: 'dep-1',
    name: 'hosted',
    platform: 'replicate',
    status: 'active',
    config: DeploymentSpecSchema.parse({ name: 'hosted', platform: 'replicate', baseModel: 'base' }),
    endpointUrl: null,
    providerRef: { resourceName: 'scripted-dep-1' },
    providerStatus: null,
    statusMessage: null,
    lastError: null,
    version: 1,
    statusSince: '2025-06-01T00:00:00.000Z',
    createdAt: '2025-06-01T00:00:00.000Z',
    updatedAt: '2025-06-01T00:00:00.000Z',
  };
  const request = { prompt: 'hi', adapterId: null, maxTokens: 16, temperature: 0, topP: 1, stop: [] };

  async function run(): Promise<InvocationResult | ModelportError> {
    try {
      let result: InvocationResult | null = null;
      for await (const event of service.invoke(deployment, request, { source: 'test' })) if (event.type === 'done') result = event.result;
      if (result === null) throw new Error('no result');
      return result;
    } catch (error) {
      if (error instanceof ModelportError) return error;
      throw error;
    }
  }
  return { run, records };
}

describe('invocation service timing', () => {
  it('measures inter-token latency as the mean gap between token deltas after the first', async () => {
    const { run, records } = setup([
      { afterMs: 100, event: delta('one') },
      { afterMs: 30, event: delta(' two') },
      // Empty deltas carry no token.
      { afterMs: 10, event: delta('') },
      { afterMs: 10, event: delta(' three') },
      { afterMs: 40, event: delta(' four') },
      { afterMs: 5, event: done },
    ]);
    const result = await run();
    expect(result).toMatchObject({ ttftMs: 100, interTokenMs: 30, latencyMs: 195 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ source: 'test', success: true, ttftMs: 100, interTokenMs: 30, latencyMs: 195 });
  });

  it('has no inter-token latency with a single token or none', async () => {
    const single = setup([
      { afterMs: 50, event: delta('whole answer at once') },
      { afterMs: 5, event: done },
    ]);
    expect(await single.run()).toMatchObject({ ttftMs: 50, interTokenMs: null });
    expect(single.records[0]).toMatchObject({ ttftMs: 50, interTokenMs: null });

    const none = setup([{ afterMs: 50, event: done }]);
    expect(await none.run()).toMatchObject({ ttftMs: null, interTokenMs: null });
    expect(none.records[0]).toMatchObject({ ttftMs: null, interTokenMs: null });
  });

  it('records the inter-token latency of the tokens that came before a failure', async () => {
    const { run, records } = setup([
      { afterMs: 20, event: delta('a') },
      { afterMs: 8, event: delta(' b') },
      { afterMs: 12, event: delta(' c') },
      { afterMs: 500, fail: new ModelportError('platform_api_error', 'the provider dropped the stream') },
    ]);
    expect(await run()).toBeInstanceOf(ModelportError);
    expect(records[0]).toMatchObject({ success: false, errorCode: 'platform_api_error', ttftMs: 20, interTokenMs: 10 });
  });
});
