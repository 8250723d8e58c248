import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeTokens, startOpenAIFake, type OpenAIFake } from '../../test/fakes/openai-fake.js';
import { createTestSchema, postgresUnreachableReason, requirePostgresOrSkip } from '../../test/helpers/test-postgres.js';
import type { Clock } from '../platforms/connector.js';
import { systemClock } from '../support/clock.js';
import { startGatewayHarness, type GatewayHarness } from './testing/gateway-harness.js';
import { RATE_WINDOW_MS } from './token-rate-limiter.js';

const messages = [{ role: 'user' as const, content: 'Say hello' }];
const reply = 'one two three four five six seven eight nine ten';
/** $0.01 per output token, input free: a request's estimate (max_tokens × price) equals its real cost. */
const pricing = { inputPerMillion: 0, outputPerMillion: 10_000 };
const outputTokens = fakeTokens(reply).length;
const costPerRequest = outputTokens * 0.01;

/**
 * Wall time moved by `offset`, which starts one second into a rate window (so a test's requests never
 * straddle a window by accident) and moves a minute at a time when a test says so.
 */
function windowClock(): Clock & { nextWindow(): void; msToNextWindow(): number } {
  const real = Date.now();
  let offset = Math.ceil(real / RATE_WINDOW_MS) * RATE_WINDOW_MS + 1_000 - real;
  const now = () => Date.now() + offset;
  return {
    ...systemClock,
    now,
    nextWindow: () => {
      offset += RATE_WINDOW_MS;
    },
    msToNextWindow: () => RATE_WINDOW_MS - (now() % RATE_WINDOW_MS),
  };
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Tokens through the gateway: the invoker role, per-token rate limits and per-token budgets. */
describe('gateway with API tokens', () => {
  const clock = windowClock();
  let upstream: OpenAIFake;
  let harness: GatewayHarness;
  let admin: string;
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const client = (name: string) => new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: secrets[name] ?? 'none', maxRetries: 0 });

  async function createToken(name: string, role: string, rateLimit?: { requestsPerMinute: number }) {
    const created = await harness.call('POST', '/api/tokens', { name, role, ...(rateLimit ? { rateLimit } : {}) }, bearer(admin));
    expect(created.status).toBe(201);
    secrets[name] = created.body.secret;
    ids[name] = created.body.token.id;
    return created.body.token;
  }

  beforeAll(async () => {
    upstream = await startOpenAIFake({ scenario: { reply } });
    harness = await startGatewayHarness({ clock });
    await harness.createDeployment('metered', upstream.baseUrl, { pricing });
    // The first token closes the open server.
    admin = (await harness.call('POST', '/api/tokens', { name: 'ops', role: 'admin' })).body.secret;
    await createToken('app', 'invoker');
    await createToken('dashboard', 'viewer');
    await createToken('ci', 'deployer');
  });
  afterAll(async () => {
    await harness?.close();
    await upstream?.close();
  });

  it('lets an invoker call /v1 and nothing else', async () => {
    const models = await client('app').models.list();
    expect(models.data.map((model) => model.id)).toContain('metered');
    const answer = await client('app').chat.completions.create({ model: 'metered', messages });
    expect(answer.choices[0]?.message.content).toBe(reply);

    const deployments = await harness.call('GET', '/api/deployments', undefined, bearer(secrets['app'] ?? ''));
    expect(deployments.status).toBe(403);
    expect(deployments.body).toMatchObject({ code: 'forbidden', detail: 'an invoker token can only call the gateway (/v1); ask an admin for a viewer token' });
    expect((await harness.call('POST', '/api/routes', { name: 'x', targets: [{ deployment: 'metered', weight: 1 }] }, bearer(secrets['app'] ?? ''))).status).toBe(403);
    expect((await harness.call('GET', '/metrics', undefined, bearer(secrets['app'] ?? ''))).status).toBe(403);
  });

  it('lets a viewer list models but not call them; deployers and admins call them', async () => {
    expect((await client('dashboard').models.list()).data.length).toBeGreaterThan(0);
    const refused = await client('dashboard').chat.completions.create({ model: 'metered', messages }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused).toMatchObject({ status: 403, type: 'permission_error', code: 'forbidden' });
    expect((refused as Error).message).toContain('a viewer token cannot call the gateway');
    for (const name of ['ci']) expect((await client(name).chat.completions.create({ model: 'metered', messages })).choices).toHaveLength(1);
    const asAdmin = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: admin, maxRetries: 0 });
    expect((await asAdmin.chat.completions.create({ model: 'metered', messages })).choices).toHaveLength(1);
    const stranger = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'mp_unknown', maxRetries: 0 });
    const unknown = await stranger.chat.completions.create({ model: 'metered', messages }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unknown).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('gives a token limited to 5 requests per minute five answers, then 429 rate_limited with Retry-After until the next minute', async () => {
    const token = await createToken('limited', 'invoker', { requestsPerMinute: 5 });
    expect(token.rateLimit).toEqual({ requestsPerMinute: 5 });
    const limited = client('limited');
    for (let index = 0; index < 5; index++) expect((await limited.chat.completions.create({ model: 'metered', messages })).choices[0]?.message.content).toBe(reply);
    const before = upstream.requestsTo('chat').length;

    const refused = await limited.chat.completions.create({ model: 'metered', messages }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'rate_limited', param: null });
    const retryAfter = Number((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after'));
    expect(retryAfter).toBe(Math.ceil(clock.msToNextWindow() / 1000));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Both completion endpoints count, and the refusal comes before anything else is looked at.
    const text = await fetch(`${harness.url}/v1/completions`, { method: 'POST', headers: { ...bearer(secrets['limited'] ?? ''), 'content-type': 'application/json' }, body: JSON.stringify({ model: 'no-such-model', prompt: 'hi' }) });
    expect(text.status).toBe(429);
    expect(text.headers.get('retry-after')).toBe(String(retryAfter));
    expect(await text.json()).toEqual({
      error: { message: expect.stringMatching(/^the API token 'limited' may make 5 gateway requests per minute; try again in \d+ s$/), type: 'rate_limit_error', code: 'rate_limited', param: null },
    });
    expect(upstream.requestsTo('chat').length).toBe(before);
    // Other tokens are not affected.
    expect((await client('app').chat.completions.create({ model: 'metered', messages })).choices).toHaveLength(1);

    clock.nextWindow();
    expect((await limited.chat.completions.create({ model: 'metered', messages })).choices[0]?.message.content).toBe(reply);
  });

  it('changes a rate limit with PATCH /api/tokens/{id} (admins only); null removes it', async () => {
    await createToken('patched', 'invoker');
    const id = ids['patched'] ?? '';
    expect((await harness.call('PATCH', `/api/tokens/${id}`, { rateLimit: { requestsPerMinute: 1 } }, bearer(secrets['ci'] ?? ''))).status).toBe(403);
    const changed = await harness.call('PATCH', `/api/tokens/${id}`, { rateLimit: { requestsPerMinute: 1 } }, bearer(admin));
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id, name: 'patched', role: 'invoker', rateLimit: { requestsPerMinute: 1 } });
    expect(JSON.stringify(changed.body)).not.toContain(secrets['patched']);
    const listed = (await harness.call('GET', '/api/tokens', undefined, bearer(admin))).body.items.find((token: { id: string }) => token.id === id);
    expect(listed.rateLimit).toEqual({ requestsPerMinute: 1 });

    const patched = client('patched');
    await patched.chat.completions.create({ model: 'metered', messages });
    await expect(patched.chat.completions.create({ model: 'metered', messages })).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
    expect((await harness.call('PATCH', `/api/tokens/${id}`, { rateLimit: null }, bearer(admin))).body.rateLimit).toBeNull();
    expect((await patched.chat.completions.create({ model: 'metered', messages })).choices).toHaveLength(1);

    expect((await harness.call('PATCH', '/api/tokens/nope', { rateLimit: null }, bearer(admin))).status).toBe(404);
    const invalid = await harness.call('PATCH', `/api/tokens/${id}`, { rateLimit: { requestsPerMinute: 0 } }, bearer(admin));
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('validation_failed');
    expect((await harness.call('POST', '/api/tokens', { name: 'bad', role: 'invoker', rateLimit: { requestsPerMinute: 2.5 } }, bearer(admin))).status).toBe(400);
  });

  it("trips a token's budget with 429 budget_exceeded and leaves other tokens alone", async () => {
    await createToken('spender', 'invoker');
    const created = await harness.call('POST', '/api/budgets', { scope: 'token', target: 'spender', period: 'day', limitUsd: costPerRequest * 1.5 }, bearer(admin));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ scope: 'token', target: 'spender', action: 'reject' });
    await expect.poll(() => harness.gateway.routeCache?.budgetsFor('token', 'spender').length).toBe(1);

    const spender = client('spender');
    expect((await spender.chat.completions.create({ model: 'metered', messages, max_tokens: outputTokens })).choices[0]?.message.content).toBe(reply);
    const refused = await spender.chat.completions.create({ model: 'metered', messages, max_tokens: outputTokens }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
    expect((refused as Error).message).toContain("the daily budget of token 'spender'");
    // The deployment itself has no budget: other tokens are served.
    expect((await client('app').chat.completions.create({ model: 'metered', messages, max_tokens: outputTokens })).choices).toHaveLength(1);

    await harness.gateway.ledger?.flush();
    const budget = (await harness.call('GET', `/api/budgets/${created.body.id}`, undefined, bearer(admin))).body;
    expect(budget.spentUsd).toBeCloseTo(costPerRequest, 9);
    expect(budget.trippedAt).not.toBeNull();
  });

  it('validates token budgets: the token must exist, and they can only reject', async () => {
    const unknown = await harness.call('POST', '/api/budgets', { scope: 'token', target: 'nobody', period: 'day', limitUsd: 1 }, bearer(admin));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'validation_failed', detail: "no active API token named 'nobody' (see GET /api/tokens)", issues: [{ path: 'target' }] });
    const stop = await harness.call('POST', '/api/budgets', { scope: 'token', target: 'app', period: 'day', limitUsd: 1, action: 'stop' }, bearer(admin));
    expect(stop.status).toBe(400);
    expect(stop.body.issues).toEqual([{ path: 'action', message: 'must be reject for a token' }]);
    await createToken('gone', 'invoker');
    await harness.call('DELETE', `/api/tokens/${ids['gone']}`, undefined, bearer(admin));
    expect((await harness.call('POST', '/api/budgets', { scope: 'token', target: 'gone', period: 'day', limitUsd: 1 }, bearer(admin))).status).toBe(400);
    const made = await harness.call('POST', '/api/budgets', { scope: 'token', target: 'app', period: 'month', limitUsd: 1 }, bearer(admin));
    expect(made.status).toBe(201);
    expect((await harness.call('PATCH', `/api/budgets/${made.body.id}`, { action: 'scale-to-zero' }, bearer(admin))).status).toBe(400);
    expect((await harness.call('DELETE', `/api/budgets/${made.body.id}`, undefined, bearer(admin))).status).toBe(204);
  });
});

const usable = requirePostgresOrSkip(await postgresUnreachableReason());

/** Two modelport processes on one PostgreSQL count one token's requests together. */
describe.runIf(usable)('token rate limits across replicas on one PostgreSQL', () => {
  const clock = windowClock();
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let upstream: OpenAIFake;
  let first: GatewayHarness;
  let second: GatewayHarness;
  let secret: string;

  beforeAll(async () => {
    schema = await createTestSchema('token_limits');
    upstream = await startOpenAIFake({ scenario: { reply } });
    const options = { databaseUrl: schema.url, clock, gateway: { refreshMs: 100, budgetFlushMs: 100, canaryIntervalMs: 3_600_000 } };
    first = await startGatewayHarness(options);
    await first.createDeployment('shared', upstream.baseUrl, { pricing });
    const admin = (await first.call('POST', '/api/tokens', { name: 'ops', role: 'admin' })).body.secret;
    secret = (await first.call('POST', '/api/tokens', { name: 'app', role: 'invoker', rateLimit: { requestsPerMinute: 6 } }, bearer(admin))).body.secret;
    // Started after the tokens and the deployment exist: it loads them at start, without waiting for a refresh.
    second = await startGatewayHarness(options);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await schema?.drop();
  });

  it('admits the limit once across both processes, not once per process', async () => {
    const clients = [first, second].map((harness) => new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: secret, maxRetries: 0 }));
    const before = upstream.requestsTo('chat').length;
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, index) => (clients[index % 2] as OpenAI).chat.completions.create({ model: 'shared', messages })));
    const ok = results.filter((result) => result.status === 'fulfilled').length;
    const limited = results.filter((result) => result.status === 'rejected' && result.reason instanceof OpenAI.RateLimitError && result.reason.code === 'rate_limited').length;
    expect(ok).toBe(6);
    expect(limited).toBe(10);
    expect(upstream.requestsTo('chat').length - before).toBe(6);

    clock.nextWindow();
    await expect((clients[1] as OpenAI).chat.completions.create({ model: 'shared', messages })).resolves.toMatchObject({ object: 'chat.completion' });
  });
});
