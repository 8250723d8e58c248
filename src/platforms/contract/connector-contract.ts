import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentSpec } from '../../core/deployment-spec.js';
import type { ProviderRef } from '../../core/deployment.js';
import type { FinishReason, InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { ConnectorContext, ObservedPhase, Observation, PlatformConnector } from '../connector.js';

/**
 * The behaviour every connector promises, as one vitest suite. A connector's test calls
 * `describeConnectorContract` with a setup that starts its fake provider; the suite then checks the
 * PlatformConnector contract (connector.ts) from the outside: the same checks for every platform.
 */

export interface ConnectorContractSetup {
  connector: PlatformConnector;
  /** A spec the connector accepts and the fake can serve. */
  spec: DeploymentSpec;
  /** A fresh context for one deployment, pointed at the fake. */
  context: (deploymentId: string) => ConnectorContext;
  /** Let fake time pass (cold start, provisioning), called between observe polls. Default: a 20 ms pause. */
  advance?: () => Promise<void>;
  teardown(): Promise<void>;
  /** How many provider resources the fake holds: apply twice must leave at most one. */
  countResources?(): number;
  /**
   * The platform only attaches to a server the user runs (openai-compatible): destroy removes nothing,
   * so observe after destroy may still see it running. Skips the gone-or-stopped check.
   */
  attachOnly?: boolean;
  /** Make the fake stream slowly from now on, so an abort lands in the middle of an answer. */
  slowInvoke?(): void;
  /** The request the invoke checks send; default a short chat on the base model. */
  invokeRequest?: InvokeRequest;
  /** Observe polls before giving up on `ready`. Default 50. */
  maxObservePolls?: number;
}

const phases: readonly ObservedPhase[] = ['provisioning', 'ready', 'degraded', 'failed', 'stopped', 'gone'];
const finishReasons: readonly FinishReason[] = ['stop', 'length', 'content_filter', 'error', 'abort', 'unknown'];

const defaultInvokeRequest: InvokeRequest = {
  messages: [{ role: 'user', content: 'Say hello.' }],
  adapterId: null,
  maxTokens: 16,
  temperature: 0,
  topP: 1,
  stop: [],
};

/** How long an aborted invoke may take to end. */
const ABORT_DEADLINE_MS = 5_000;

export function describeConnectorContract(name: string, setup: () => Promise<ConnectorContractSetup>): void {
  describe(`${name}: connector contract`, () => {
    let env: ConnectorContractSetup | undefined;
    let sequence = 0;

    beforeEach(async () => {
      env = await setup();
    });
    afterEach(async () => {
      await env?.teardown();
      env = undefined;
    });

    const current = (): ConnectorContractSetup => {
      if (!env) throw new Error('contract setup did not run');
      return env;
    };
    const newDeploymentId = (): string => `dep-contract-${String((sequence += 1)).padStart(4, '0')}`;
    const request = (): InvokeRequest => current().invokeRequest ?? defaultInvokeRequest;

    const observeUntil = async (ref: ProviderRef, context: ConnectorContext, wanted: ObservedPhase): Promise<Observation> => {
      const { connector, spec, advance, maxObservePolls = 50 } = current();
      let last: Observation | undefined;
      for (let poll = 0; poll < maxObservePolls; poll += 1) {
        last = await connector.observe(ref, spec, context);
        expect(phases).toContain(last.phase);
        if (last.phase === wanted) return last;
        await (advance ? advance() : new Promise((resolve) => setTimeout(resolve, 20)));
      }
      throw new Error(`observe never reported ${wanted}; last: ${JSON.stringify(last)}`);
    };

    /** Applies and waits for ready: the starting point of invoke and destroy checks. */
    const deployed = async (): Promise<{ ref: ProviderRef; context: ConnectorContext }> => {
      const context = current().context(newDeploymentId());
      const ref = await current().connector.apply(current().spec, context);
      await observeUntil(ref, context, 'ready');
      return { ref, context };
    };

    /** Iterates an invoke to its end, failing the test if it does not end within the deadline. */
    const drain = async (
      events: AsyncIterable<InvokeEvent>,
      onEvent: (event: InvokeEvent) => void = () => undefined,
    ): Promise<{ events: InvokeEvent[]; error: unknown }> => {
      const seen: InvokeEvent[] = [];
      let error: unknown;
      const run = (async () => {
        try {
          for await (const event of events) {
            seen.push(event);
            onEvent(event);
          }
        } catch (thrown) {
          error = thrown;
        }
      })();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), ABORT_DEADLINE_MS);
      });
      const outcome = await Promise.race([run.then(() => 'ended' as const), deadline]);
      clearTimeout(timer);
      expect(outcome, 'invoke did not end after abort').toBe('ended');
      return { events: seen, error };
    };

    it('validate accepts the valid spec, purely', () => {
      const { connector, spec } = current();
      const before = structuredClone(spec);
      expect(connector.validate(spec)).toEqual([]);
      expect(connector.validate(spec)).toEqual([]);
      expect(spec).toEqual(before);
    });

    it('validate reports issues for bad platform options instead of throwing', () => {
      const { connector, spec } = current();
      const broken: DeploymentSpec = { ...spec, platformOptions: { ...spec.platformOptions, baseUrl: 42, region: { nested: [] } } };
      const issues = connector.validate(broken);
      expect(Array.isArray(issues)).toBe(true);
      for (const issue of issues) {
        expect(typeof issue.path).toBe('string');
        expect(typeof issue.message).toBe('string');
      }
    });

    it('apply is idempotent: the same resource, never a second one', async () => {
      const { connector, spec, countResources } = current();
      const context = current().context(newDeploymentId());
      const first = await connector.apply(spec, context);
      const second = await connector.apply(spec, context);
      expect(first.resourceName).not.toBe('');
      expect(second.resourceName).toBe(first.resourceName);
      if (countResources) expect(countResources()).toBeLessThanOrEqual(1);
    });

    it('observe eventually reports ready', async () => {
      const { ref, context } = await deployed();
      const observation = await current().connector.observe(ref, current().spec, context);
      expect(observation.phase).toBe('ready');
    });

    it('invoke yields at least one delta, then exactly one done with whole, non-negative usage', async () => {
      const { ref, context } = await deployed();
      const { connector, spec } = current();
      const { events, error } = await drain(connector.invoke(ref, spec, request(), context));
      expect(error).toBeUndefined();
      const deltas = events.filter((event) => event.type === 'delta');
      const dones = events.filter((event) => event.type === 'done');
      expect(deltas.length).toBeGreaterThanOrEqual(1);
      for (const delta of deltas) expect(typeof delta.text).toBe('string');
      expect(dones).toHaveLength(1);
      expect(events.at(-1)?.type).toBe('done');
      const done = dones[0];
      if (done?.type !== 'done') throw new Error('unreachable');
      expect(finishReasons).toContain(done.finishReason);
      for (const count of [done.usage.inputTokens, done.usage.outputTokens]) {
        expect(Number.isInteger(count)).toBe(true);
        expect(count).toBeGreaterThanOrEqual(0);
      }
      expect(typeof done.usage.estimated).toBe('boolean');
    });

    it('destroy is idempotent, and observe afterwards says gone or stopped', async () => {
      const { ref, context } = await deployed();
      const { connector, spec, attachOnly } = current();
      await connector.destroy(ref, spec, context);
      await connector.destroy(ref, spec, context);
      const observation = await connector.observe(ref, spec, context);
      if (attachOnly) expect(phases).toContain(observation.phase);
      else expect(['gone', 'stopped']).toContain(observation.phase);
    });

    it('an already-aborted signal ends invoke without an answer', async () => {
      const { ref, context } = await deployed();
      const controller = new AbortController();
      controller.abort();
      const { events } = await drain(current().connector.invoke(ref, current().spec, request(), { ...context, signal: controller.signal }));
      // Either it threw, or it ended with done(abort): never a normal answer.
      expect(events.filter((event) => event.type === 'done' && event.finishReason !== 'abort')).toEqual([]);
    });

    it('aborting mid-stream ends invoke promptly', async () => {
      const { ref, context } = await deployed();
      current().slowInvoke?.();
      const controller = new AbortController();
      const { events } = await drain(
        current().connector.invoke(ref, current().spec, request(), { ...context, signal: controller.signal }),
        (event) => {
          if (event.type === 'delta') controller.abort();
        },
      );
      expect(events.filter((event) => event.type === 'done').length).toBeLessThanOrEqual(1);
      if (current().slowInvoke) {
        expect(events.filter((event) => event.type === 'done' && event.finishReason !== 'abort')).toEqual([]);
      }
    });
  });
}
