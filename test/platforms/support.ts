import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Clock } from '../../src/platforms/connector.js';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';

/**
 * Shared wiring for the per-platform REST tests: a whole modelport in-process (main.ts wiring, SQLite),
 * driven tick by tick on a clock the test moves, with every API response body and log line kept so a
 * test can prove that a secret never left the server.
 */

/** Wall time the test moves by hand; sleeps return at once and move it, so backoffs cost nothing. */
export interface TestClock extends Clock {
  advance(ms: number): void;
}

export function createTestClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    monotonic: () => performance.now(),
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      offsetMs += Math.max(0, ms);
      await yieldToLoop();
      signal?.throwIfAborted();
    },
    advance(ms) {
      offsetMs += ms;
    },
  };
}

export interface ApiResponse {
  status: number;
  // Response bodies are whatever the API sent; tests read fields the OpenAPI document promises.
  body: any;
  text: string;
  headers: Record<string, unknown>;
}

export interface DeploymentEventView {
  from: string | null;
  to: string;
  reason: string;
  details: Record<string, unknown>;
  actor: string;
}

export interface PlatformApp {
  modelport: TestModelport;
  clock: TestClock;
  /** Raw text of every API response so far. */
  readonly transcript: string[];
  /** Every log line the server wrote (level debug). */
  readonly logs: string[];
  api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<ApiResponse>;
  /** One reconciler pass, awaited to its end. */
  tick(): Promise<void>;
  /**
   * Ticks, moving the clock `stepMs` before each (past the reconciler's retry backoff), until the
   * deployment is in one of `statuses`. Fails with the last view after `maxTicks`.
   */
  tickUntil(id: string, statuses: string[], options?: { stepMs?: number; maxTicks?: number }): Promise<any>;
  get(id: string): Promise<any>;
  /** The deployment's events, oldest first. */
  events(id: string): Promise<DeploymentEventView[]>;
  /** Creates a deployment through the API and returns its view (201 asserted). */
  create(spec: Record<string, unknown>): Promise<any>;
  dispose(): Promise<void>;
}

export interface PlatformAppOptions {
  /** The environment the server sees: credentials and `MODELPORT_<PLATFORM>_<SETTING>` settings. */
  env: Record<string, string>;
  /** The fetch every connector uses (default the real one). */
  fetch?: typeof fetch;
}

/** A modelport whose reconciler only runs when the test calls `tick()`. */
export async function startPlatformApp(options: PlatformAppOptions): Promise<PlatformApp> {
  const clock = createTestClock();
  const transcript: string[] = [];
  const logs: string[] = [];
  const modelport = await startTestModelport({
    env: { MODELPORT_LOG_LEVEL: 'debug', ...options.env },
    overrides: {
      clock,
      startReconciler: false,
      logWrite: (line) => void logs.push(line),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
  });

  const api: PlatformApp['api'] = async (method, url, body) => {
    const response = await modelport.app.inject({
      method,
      url,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    transcript.push(response.body);
    let parsed: unknown = response.body;
    try {
      parsed = response.body ? JSON.parse(response.body) : null;
    } catch {
      // SSE or text: keep it as it came
    }
    return { status: response.statusCode, body: parsed, text: response.body, headers: response.headers };
  };

  const get = async (id: string) => {
    const response = await api('GET', `/api/deployments/${id}`);
    expect(response.status).toBe(200);
    return response.body;
  };

  const tick = () => modelport.reconciler.tick();

  return {
    modelport,
    clock,
    transcript,
    logs,
    api,
    tick,
    get,
    async tickUntil(id, statuses, { stepMs = 1_000, maxTicks = 30 } = {}) {
      let view = await get(id);
      for (let round = 0; round < maxTicks && !statuses.includes(view.status); round += 1) {
        clock.advance(stepMs);
        await tick();
        view = await get(id);
      }
      if (!statuses.includes(view.status)) {
        throw new Error(`deployment stayed ${view.status} (wanted ${statuses.join('|')}): ${JSON.stringify({ lastError: view.lastError, statusMessage: view.statusMessage })}`);
      }
      return view;
    },
    async events(id) {
      const response = await api('GET', `/api/deployments/${id}/events?limit=1000`);
      expect(response.status).toBe(200);
      return [...(response.body.items as DeploymentEventView[])].reverse();
    },
    async create(spec) {
      const response = await api('POST', '/api/deployments', spec);
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      expect(response.body.status).toBe('pending');
      return response.body;
    },
    dispose: () => modelport.dispose(),
  };
}

/**
 * A fetch that lets the first request matching `match` reach the provider (so the provider carries it
 * out) and then spoils the answer: `lose` never hands it back (the moment between "sent a create" and
 * "recorded it" in which a process dies; the caller sees nothing until its signal aborts), `garble`
 * hands back a 200 whose body is cut off mid-JSON. Everything else passes through untouched.
 */
export function createAnswerSpoilingFetch(
  match: (method: string, url: URL) => boolean,
  spoil: 'lose' | 'garble',
): { fetch: typeof fetch; carriedOut: () => boolean } {
  let used = false;
  let carriedOut = false;
  const spoilingFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    if (used || !match(method, url)) return fetch(input, init);
    used = true;
    const { signal, ...rest } = init ?? {};
    const response = await fetch(input, rest);
    await response.arrayBuffer();
    carriedOut = true;
    if (spoil === 'garble') return new Response('{"id": "', { status: 200, headers: { 'content-type': 'application/json' } });
    return new Promise<Response>((_resolve, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
  return { fetch: spoilingFetch, carriedOut: () => carriedOut };
}

/** Waits (in real time) until `condition` holds. */
export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `from>to` pairs of the events, oldest first, e.g. `pending>deploying`. */
export function transitions(events: DeploymentEventView[]): string[] {
  return events.map((event) => `${event.from ?? '-'}>${event.to}`);
}

/** The single event with this reason (fails when there is none or several). */
export function eventWithReason(events: DeploymentEventView[], reason: string): DeploymentEventView {
  const found = events.filter((event) => event.reason === reason);
  expect(found.map((event) => event.reason), `events: ${events.map((event) => event.reason).join(', ')}`).toEqual([reason]);
  const [only] = found;
  if (!only) throw new Error(`no ${reason} event`);
  return only;
}

/**
 * Reads everything the API says about a deployment (view, events, test history, metrics, platforms,
 * credentials, list) so that the transcript holds every place a secret could surface.
 */
export async function readEverything(app: PlatformApp, id: string): Promise<void> {
  await app.api('GET', `/api/deployments/${id}`);
  await app.api('GET', `/api/deployments/${id}/events?limit=1000`);
  await app.api('GET', `/api/deployments/${id}/tests`);
  await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
  await app.api('GET', '/api/deployments');
  await app.api('GET', '/api/platforms');
  await app.api('GET', '/api/credentials');
}

/** Asserts that no API response and no log line so far contains `secret`. */
export function expectNeverShown(app: PlatformApp, secret: string): void {
  expect(secret.length).toBeGreaterThan(8);
  const responses = app.transcript.filter((text) => text.includes(secret));
  expect(responses, 'a response body contains the secret').toEqual([]);
  const lines = app.logs.filter((line) => line.includes(secret));
  expect(lines, 'a log line contains the secret').toEqual([]);
}

/** The endpoint-test body every platform test sends. */
export const testPrompt = { prompt: 'Say hello to the new deployment', maxTokens: 32, temperature: 0 };

/**
 * The 1h metrics of a deployment after exactly one successful endpoint test: the request is counted with
 * the test's tokens and the test's cost (null = unpriced stays unpriced, never $0).
 */
export async function expectMetricsCountTest(
  app: PlatformApp,
  id: string,
  test: { usage: { inputTokens: number; outputTokens: number }; costUsd: number | null },
): Promise<any> {
  const response = await app.api('GET', `/api/deployments/${id}/metrics?window=1h`);
  expect(response.status).toBe(200);
  const metrics = response.body;
  expect(metrics.requests).toMatchObject({ total: 1, successful: 1, failed: 0, successRate: 1 });
  const { inputTokens, outputTokens } = test.usage;
  expect(metrics.tokens).toEqual({ input: inputTokens, output: outputTokens, total: inputTokens + outputTokens });
  if (test.costUsd === null) {
    expect(metrics.cost).toMatchObject({ totalUsd: null, perRequestUsd: null, unpricedRequests: 1 });
  } else {
    expect(metrics.cost.totalUsd).toBeCloseTo(test.costUsd, 12);
    expect(metrics.cost.unpricedRequests).toBe(0);
  }
  return metrics;
}
