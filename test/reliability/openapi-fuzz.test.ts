import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake.js';
import { startTestModelport, type TestModelport } from '../helpers/test-modelport.js';
import { apiAgreementProblems, snapshotProblems, snapshotStore, type ApiGet } from './support/deployment-snapshot.js';
import { isStable } from './support/invariants.js';
import { isRecord, mutated, resolveRef, schemaArbitrary, type JsonSchema } from './support/schema-arbitrary.js';
import { sleep, waitFor } from './support/http.js';

/**
 * Property-based fuzzing of the whole REST API and gateway, driven by the server's own OpenAPI
 * document: every operation gets path parameters (existing ids and names, junk), query strings from
 * their schemas plus junk, and bodies that are schema-shaped, schema-shaped with one thing broken, or
 * anything at all, in a random interleaving (so creates, deploys, stops and deletes race the
 * reconciler). Every answer must come within 5 s, never be a 5xx, and every 4xx must be a
 * problem+json (OpenAI's error envelope on /v1). Afterwards the database must be consistent.
 *
 * MODELPORT_FUZZ_SEED replays a run; MODELPORT_FUZZ_RUNS sets the number of requests.
 */

const seed = Number.parseInt(process.env['MODELPORT_FUZZ_SEED'] ?? '', 10) || Math.floor(Math.random() * 2 ** 31);
const runs = Number.parseInt(process.env['MODELPORT_FUZZ_RUNS'] ?? '', 10) || 3_000;
const requestTimeoutMs = 5_000;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Operation {
  method: Method;
  path: string;
  parameters: { name: string; in: 'path' | 'query' | 'header'; schema: JsonSchema; required: boolean }[];
  body: JsonSchema | null;
}

/** A path parameter: resolved when the request runs, so it can name rows created by earlier requests. */
type PathValue =
  | { kind: 'existing-id'; index: number }
  | { kind: 'existing-name'; index: number }
  | { kind: 'literal'; value: string; encode: 'once' | 'twice' | 'raw-safe' | 'verbatim' };
type BodyValue = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType: string } | { kind: 'none' };
type Auth = 'admin' | 'none' | 'junk' | 'viewer';

interface FuzzRequest {
  operation: Operation;
  /** Percent-encode one letter of the route's fixed part (`/%61pi/...`): it must route and authorize alike. */
  encodeLetter: number | null;
  path: Record<string, PathValue>;
  query: [string, string][];
  headers: Record<string, string>;
  body: BodyValue;
  auth: Auth;
}

const junkStrings = ['', ' ', '..', '%2e%2e', '../../etc/passwd', '__proto__', 'constructor', 'null', 'undefined', '0', '-1', '1e309', 'a'.repeat(300), '😀', '\u0000', "'; drop table deployments; --", '<script>', '{}', '[]', 'true'];

describe('OpenAPI-driven fuzzing of the REST API and gateway', () => {
  let modelport: TestModelport;
  let upstream: OpenAIFake;
  let operations: Operation[] = [];
  let document: JsonSchema;
  let adminToken = '';
  let viewerToken = '';
  let deployerToken = '';
  const pool = { ids: [] as string[], names: [] as string[] };
  /** The seeded deployments are never deleted, so the consistency check always has histories to replay. */
  const keep = new Set<string>();
  /** By kind (status, error code, what is wrong): a count, the operations it hit, the first examples. */
  const violations = new Map<string, { count: number; operations: Set<string>; examples: string[] }>();
  const statusCounts = new Map<string, number>();

  beforeAll(async () => {
    upstream = await startOpenAIFake({ models: ['fuzz-base', 'fuzz-adapter'] });
    // Only the fake may be called: a fuzzed baseUrl must never send traffic anywhere else.
    const guardedFetch: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.origin !== upstream.url) throw new TypeError(`fetch failed (blocked by the test: ${url.origin})`);
      return globalThis.fetch(input, init);
    };
    modelport = await startTestModelport({
      env: { MODELPORT_SECRET_KEY: 'fuzz-secret-key-0123456789abcdef', MODELPORT_TEST_RATE_LIMIT: '1000' },
      overrides: { fetch: guardedFetch },
    });
    document = (await modelport.call('GET', '/openapi.json')).body;
    operations = operationsOf(document).filter((operation) => operation.path !== '/api/events/stream');
    process.stderr.write(`[fuzz] seed ${seed}, ${runs} requests over ${operations.length} operations (replay: MODELPORT_FUZZ_SEED=${seed})\n`);

    // Tokens exist from here on: every request needs one, so auth is fuzzed too.
    adminToken = (await modelport.call('POST', '/api/tokens', { name: 'fuzz-admin', role: 'admin' })).body.secret;
    viewerToken = (await modelport.call('POST', '/api/tokens', { name: 'fuzz-viewer', role: 'viewer' }, { authorization: `Bearer ${adminToken}` })).body.secret;
    deployerToken = (await modelport.call('POST', '/api/tokens', { name: 'fuzz-deployer', role: 'deployer' }, { authorization: `Bearer ${adminToken}` })).body.secret;
    for (let index = 0; index < 4; index++) {
      const created = await modelport.call(
        'POST',
        '/api/deployments',
        { name: `fuzz-${index}`, platform: 'openai-compatible', baseModel: 'fuzz-base', adapter: index % 2 === 0 ? { id: 'fuzz-adapter' } : null, platformOptions: { baseUrl: upstream.baseUrl } },
        { authorization: `Bearer ${adminToken}` },
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      keep.add(created.body.id).add(created.body.name);
      if (index < 2) await modelport.call('POST', `/api/deployments/${created.body.id}/deploy`, undefined, { authorization: `Bearer ${adminToken}` });
    }
    await refreshPool();
  }, 60_000);

  afterAll(async () => {
    await modelport?.dispose();
    await upstream?.close();
  });

  async function refreshPool(): Promise<void> {
    const deployments = await modelport.store.deployments.list({ limit: 10_000 });
    pool.ids = deployments.map((deployment) => deployment.id);
    pool.names = deployments.map((deployment) => deployment.name);
    const tokens = await modelport.store.apiTokens.list();
    // Revoking the admin token would turn the rest of the run into 401s.
    pool.ids.push(...tokens.filter((token) => token.name !== 'fuzz-admin').map((token) => token.id));
  }

  const get: ApiGet = async (path) => {
    const response = await modelport.call('GET', path, undefined, { authorization: `Bearer ${adminToken}` });
    return { status: response.status, body: response.body };
  };

  it('never answers 5xx, always answers in time, and 4xx are problem+json (OpenAI errors on /v1)', async () => {
    // Deletes are rarer, so rows live long enough to be deployed, stopped and patched.
    const requestArbitrary = fc
      .oneof(...operations.map((operation) => ({ weight: operation.method === 'DELETE' ? 1 : 4, arbitrary: fc.constant(operation) })))
      .chain((operation) => requestFor(operation, document));
    let count = 0;
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async (request) => {
        count++;
        if (count % 100 === 0) await refreshPool();
        const problem = await send(request);
        if (problem) {
          const entry = violations.get(problem.kind) ?? { count: 0, operations: new Set<string>(), examples: [] };
          entry.count++;
          entry.operations.add(`${request.operation.method} ${request.operation.path}`);
          if (entry.examples.length < 2) entry.examples.push(problem.example.slice(0, 500));
          violations.set(problem.kind, entry);
        }
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
    const summary = [...statusCounts.entries()].sort().map(([key, value]) => `${key}: ${value}`).join(', ');
    process.stderr.write(`[fuzz] answers: ${summary}\n`);
    expect([...violations.entries()].map(([kind, entry]) => `${kind} (×${entry.count} on ${[...entry.operations].join(', ')}), e.g. ${entry.examples.join('  |  ')}`)).toEqual([]);
  }, 120_000);

  it('a percent-encoded path is authorized like the plain one (no way around the token check)', async () => {
    const bypassed: string[] = [];
    for (const operation of operations.filter((candidate) => !publicPaths.has(candidate.path))) {
      const concrete = operation.path.replace(/\{[^}]+\}/g, 'fuzz-0');
      for (const variant of [concrete, concrete.replace(/^\/(a|v)/, (_match, letter: string) => `/%${letter.charCodeAt(0).toString(16)}`), concrete.replace(/^\/api\/(.)/, (_match, letter: string) => `/api/%${letter.charCodeAt(0).toString(16).toUpperCase()}`)]) {
        const body = operation.method === 'GET' || operation.method === 'DELETE' ? undefined : operation.path === '/api/tokens' ? { name: 'sneaky', role: 'admin' } : {};
        const response = await modelport.app.inject({
          method: operation.method,
          url: variant,
          ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        });
        if (response.statusCode < 400) bypassed.push(`${operation.method} ${variant} → ${response.statusCode} ${response.body.slice(0, 120)}`);
      }
    }
    // Roles too: admin-only routes reached with a lesser token through an encoded letter.
    for (const [role, token] of [['viewer', viewerToken], ['deployer', deployerToken]] as const) {
      for (const [method, url, body] of [
        ['GET', '/api/%74okens', undefined],
        ['POST', '/api/%74okens', { name: `escalated-${role}`, role: 'admin' }],
        ['GET', '/api/%63redentials', undefined],
        ['PUT', '/api/%63redentials/STOLEN_API_KEY', { value: 'x' }],
      ] as const) {
        const response = await modelport.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
        if (response.statusCode < 400) bypassed.push(`${method} ${url} as ${role} → ${response.statusCode} ${response.body.slice(0, 120)}`);
      }
    }
    expect(bypassed).toEqual([]);
  });

  it('leaves the database consistent: histories replay, list, detail and counts agree, nothing stuck', async () => {
    await waitFor(
      async () => ((await snapshotStore(modelport.store)).deployments.every((deployment) => isStable(deployment.status)) ? true : undefined),
      20_000,
      async () => `still transient: ${(await snapshotStore(modelport.store)).deployments.filter((deployment) => !isStable(deployment.status)).map((deployment) => `${deployment.name} ${deployment.status} ${JSON.stringify(deployment.lastError)}`).join('; ')}`,
      100,
    );
    const snapshot = await snapshotStore(modelport.store);
    expect(snapshot.deployments.length).toBeGreaterThanOrEqual(keep.size / 2);
    expect(snapshotProblems(snapshot)).toEqual([]);
    expect(await apiAgreementProblems(get, snapshot)).toEqual([]);
    const counts = await modelport.store.deployments.countByStatus();
    for (const [status, count] of Object.entries(counts)) {
      expect(count, `countByStatus(${status})`).toBe(snapshot.deployments.filter((deployment) => deployment.status === status).length);
    }
    const names = snapshot.deployments.map((deployment) => deployment.name);
    expect(new Set(names).size).toBe(names.length);
  }, 60_000);

  /** Sends one request; returns what is wrong with the answer, or null. */
  async function send(request: FuzzRequest): Promise<{ kind: string; example: string } | null> {
    const template = request.encodeLetter === null ? request.operation.path : encodeOneLetter(request.operation.path, request.encodeLetter);
    const path = template.replace(/\{([^}]+)\}/g, (_match, name: string) => resolvePath(request.path[name], request.operation.method === 'DELETE'));
    const query = request.query.length > 0 ? `?${request.query.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')}` : '';
    const url = `${path}${query}`;
    const headers: Record<string, string> = { ...request.headers };
    if (request.auth === 'admin') headers['authorization'] = `Bearer ${adminToken}`;
    if (request.auth === 'viewer') headers['authorization'] = `Bearer ${viewerToken}`;
    if (request.auth === 'junk') headers['authorization'] = 'Bearer mp_not-a-real-token';
    let payload: string | undefined;
    if (request.body.kind === 'json') {
      payload = JSON.stringify(request.body.value) ?? 'null';
      headers['content-type'] = 'application/json';
    } else if (request.body.kind === 'raw') {
      payload = request.body.text;
      headers['content-type'] = request.body.contentType;
    }
    const operationLabel = request.operation.path.startsWith('/v1/') ? '/v1' : '/api';
    const label = `${request.operation.method} ${url} auth=${request.auth} content-type=${headers['content-type'] ?? '-'} body=${(payload ?? '').slice(0, 300)}`;
    const started = Date.now();
    let response: Awaited<ReturnType<TestModelport['app']['inject']>>;
    try {
      const answer = modelport.app.inject({ method: request.operation.method, url, headers, ...(payload === undefined ? {} : { payload }) });
      const timedOut = sleep(requestTimeoutMs).then(() => null);
      const raced = await Promise.race([answer, timedOut]);
      if (raced === null) return { kind: `${operationLabel} never answered within ${requestTimeoutMs} ms`, example: label };
      response = raced;
    } catch (error) {
      return { kind: `${operationLabel} threw ${String(error).slice(0, 80)}`, example: label };
    }
    const status = response.statusCode;
    const family = request.operation.path.startsWith('/v1/') ? 'v1' : 'api';
    statusCounts.set(`${family} ${status}`, (statusCounts.get(`${family} ${status}`) ?? 0) + 1);
    const elapsed = Date.now() - started;
    if (status >= 500) return { kind: `${operationLabel} → HTTP ${status} ${codeOf(response.body)}`, example: `${label} → ${response.body.slice(0, 200)} (${elapsed} ms)` };
    if (status === 201 && request.operation.path === '/api/deployments') {
      const created = safeJson(response.body);
      if (isRecord(created) && typeof created['id'] === 'string') {
        pool.ids.push(created['id']);
        if (typeof created['name'] === 'string') pool.names.push(created['name']);
      }
    }
    const isPublic = publicPaths.has(request.operation.path);
    if (status < 400 && !isPublic && (request.auth === 'none' || request.auth === 'junk')) {
      return { kind: `${operationLabel} → HTTP ${status} without a valid token (authorization bypassed)`, example: `${label} → ${response.body.slice(0, 200)}` };
    }
    if (status < 400 && request.auth === 'viewer' && request.operation.method !== 'GET' && !isPublic) {
      return { kind: `${operationLabel} → HTTP ${status} for a viewer token on a write`, example: `${label} → ${response.body.slice(0, 200)}` };
    }
    if (status < 400) return null;
    const body = safeJson(response.body);
    if (family === 'v1') {
      const error = isRecord(body) && isRecord(body['error']) ? body['error'] : null;
      if (!error || typeof error['message'] !== 'string' || typeof error['type'] !== 'string') return { kind: `${operationLabel} → HTTP ${status} without an OpenAI error envelope`, example: `${label} → ${response.body.slice(0, 200)}` };
      return null;
    }
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.includes('application/problem+json')) {
      return { kind: `${operationLabel} → HTTP ${status} ${codeOf(response.body)} as ${contentType || 'no content type'}, not problem+json`, example: `${label} → ${response.body.slice(0, 200)}` };
    }
    if (!isRecord(body) || typeof body['code'] !== 'string' || typeof body['detail'] !== 'string' || body['status'] !== status) {
      return { kind: `${operationLabel} → HTTP ${status} problem without code/detail/status`, example: `${label} → ${response.body.slice(0, 200)}` };
    }
    return null;
  }

  function resolvePath(value: PathValue | undefined, deleting: boolean): string {
    if (value === undefined) return 'missing';
    const from = (candidates: string[]) => {
      const usable = deleting ? candidates.filter((candidate) => !keep.has(candidate)) : candidates;
      return encodeURIComponent(usable[(value as { index: number }).index % Math.max(usable.length, 1)] ?? 'none');
    };
    if (value.kind === 'existing-id') return from(pool.ids);
    if (value.kind === 'existing-name') return from(pool.names);
    if (value.encode === 'twice') return encodeURIComponent(encodeURIComponent(value.value));
    if (value.encode === 'raw-safe') return value.value.replace(/[^A-Za-z0-9._~-]/g, '');
    if (value.encode === 'verbatim') return value.value;
    return encodeURIComponent(value.value);
  }
});

function operationsOf(document: JsonSchema): Operation[] {
  const operations: Operation[] = [];
  const paths = isRecord(document['paths']) ? document['paths'] : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method) || !isRecord(operation)) continue;
      const parameters = (Array.isArray(operation['parameters']) ? operation['parameters'] : [])
        .map((parameter) => (isRecord(parameter) && typeof parameter['$ref'] === 'string' ? resolveRef(parameter['$ref'], document) : parameter))
        .filter(isRecord)
        .map((parameter) => ({
          name: String(parameter['name']),
          in: parameter['in'] as 'path' | 'query' | 'header',
          schema: isRecord(parameter['schema']) ? parameter['schema'] : {},
          required: parameter['required'] === true,
        }));
      const content = isRecord(operation['requestBody']) && isRecord(operation['requestBody']['content']) ? operation['requestBody']['content'] : {};
      const json = isRecord(content['application/json']) && isRecord(content['application/json']['schema']) ? content['application/json']['schema'] : null;
      operations.push({ method: method.toUpperCase() as Method, path, parameters, body: json });
    }
  }
  return operations;
}

/** The gateway documents no body schema; this is what an OpenAI client sends. */
const openAIBodySchema: JsonSchema = {
  type: 'object',
  required: ['model'],
  properties: {
    model: { type: 'string', enum: ['fuzz-0', 'fuzz-1', 'fuzz-2', 'fuzz-0:fuzz-adapter', 'fuzz-1:nope', 'missing', ''] },
    messages: { type: 'array', maxItems: 3, items: { type: 'object', required: ['role', 'content'], properties: { role: { type: 'string', enum: ['system', 'user', 'assistant', 'developer', 'tool'] }, content: { type: 'string', maxLength: 40 } } } },
    prompt: { type: 'string', maxLength: 40 },
    stream: { type: 'boolean' },
    max_tokens: { type: 'integer', minimum: -5, maximum: 100_000 },
    temperature: { type: 'number', minimum: -1, maximum: 3 },
    top_p: { type: 'number', minimum: -1, maximum: 2 },
    stop: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }] },
    stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
  },
};

function requestFor(operation: Operation, document: JsonSchema): fc.Arbitrary<FuzzRequest> {
  const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path');
  const pathArbitrary = fc.record(
    Object.fromEntries(pathParameters.map((parameter) => [parameter.name, pathValue(parameter.schema)])) as Record<string, fc.Arbitrary<PathValue>>,
  );
  const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query');
  const queryArbitrary = fc
    .tuple(
      fc.tuple(...queryParameters.map((parameter) => fc.option(fc.oneof({ weight: 4, arbitrary: schemaArbitrary(parameter.schema, document).map(String) }, { weight: 1, arbitrary: fc.constantFrom(...junkStrings) }), { nil: undefined }).map((value) => [parameter.name, value] as const))),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'status', 'before', 'window', '__proto__', 'constructor[prototype]'), fc.string({ maxLength: 8 })), fc.oneof(fc.constantFrom(...junkStrings), fc.string({ maxLength: 20 }))), { maxLength: 2 }),
    )
    .map(([declared, junk]) => [...declared.filter((entry): entry is readonly [string, string] => entry[1] !== undefined).map(([key, value]) => [key, value] as [string, string]), ...junk]);
  const headerParameters = operation.parameters.filter((parameter) => parameter.in === 'header');
  const headerArbitrary = fc
    .tuple(...headerParameters.map((parameter) => fc.option(schemaArbitrary(parameter.schema, document).map(String), { nil: undefined }).map((value) => [parameter.name, value] as const)))
    .map((entries) => Object.fromEntries(entries.filter((entry) => entry[1] !== undefined && /^[\t\x20-\x7e]*$/.test(entry[1])).map(([key, value]) => [key, value as string])));
  const bodySchema = operation.body ?? (operation.path.startsWith('/v1/') && operation.method === 'POST' ? openAIBodySchema : null);
  const bodyArbitrary: fc.Arbitrary<BodyValue> =
    bodySchema === null
      ? fc.oneof({ weight: 6, arbitrary: fc.constant<BodyValue>({ kind: 'none' }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value): BodyValue => ({ kind: 'json', value })) })
      : fc.oneof(
          { weight: 5, arbitrary: schemaArbitrary(bodySchema, document).map((value): BodyValue => ({ kind: 'json', value })) },
          { weight: 5, arbitrary: mutated(schemaArbitrary(bodySchema, document)).map((value): BodyValue => ({ kind: 'json', value })) },
          { weight: 2, arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: false }).map((value): BodyValue => ({ kind: 'json', value })) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.oneof(fc.constantFrom('{', '{"name": ', '[1,2', 'null', '""', '\u0000', '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"x": 1}}}'), fc.string({ maxLength: 50 })), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x'))
              .map(([text, contentType]): BodyValue => ({ kind: 'raw', text, contentType })),
          },
          { weight: 1, arbitrary: fc.constant<BodyValue>({ kind: 'none' }) },
        );
  const authArbitrary = fc.oneof({ weight: 12, arbitrary: fc.constant<Auth>('admin') }, { weight: 1, arbitrary: fc.constantFrom<Auth>('none', 'junk', 'viewer') });
  const encodeArbitrary = fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() });
  return fc.record({ operation: fc.constant(operation), encodeLetter: encodeArbitrary, path: pathArbitrary, query: queryArbitrary, headers: headerArbitrary, body: bodyArbitrary, auth: authArbitrary });
}

function pathValue(schema: JsonSchema): fc.Arbitrary<PathValue> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((index): PathValue => ({ kind: 'existing-id', index })) },
    { weight: 3, arbitrary: fc.nat().map((index): PathValue => ({ kind: 'existing-name', index })) },
    { weight: 1, arbitrary: fc.uuid().map((value): PathValue => ({ kind: 'literal', value, encode: 'once' })) },
    { weight: 1, arbitrary: fc.constantFrom(...junkStrings.filter(Boolean)).map((value): PathValue => ({ kind: 'literal', value, encode: 'once' })) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: Math.min(Number(schema['maxLength'] ?? 40), 40), unit: 'grapheme' }).map((value): PathValue => ({ kind: 'literal', value, encode: 'once' })) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((value): PathValue => ({ kind: 'literal', value, encode: 'twice' })) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((value): PathValue => ({ kind: 'literal', value: value || 'x', encode: 'raw-safe' })) },
    // Broken percent-encoding and over-long segments, as a hand-written client might send them.
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', 'a%2Fb', `${'x'.repeat(150)}`, `${'x'.repeat(199)}`).map((value): PathValue => ({ kind: 'literal', value, encode: 'verbatim' })) },
  );
}

const publicPaths = new Set(['/healthz', '/readyz']);

/** `/api/tokens` → `/%61pi/tokens` (the `pick`-th letter outside `{params}`, as %XX). */
function encodeOneLetter(template: string, pick: number): string {
  const positions: number[] = [];
  let inParam = false;
  for (const [index, character] of [...template].entries()) {
    if (character === '{') inParam = true;
    else if (character === '}') inParam = false;
    else if (!inParam && /[a-z]/i.test(character)) positions.push(index);
  }
  const at = positions[pick % Math.max(positions.length, 1)];
  if (at === undefined) return template;
  return `${template.slice(0, at)}%${template.charCodeAt(at).toString(16).toUpperCase()}${template.slice(at + 1)}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The error code of an answer (problem+json `code`, OpenAI `error.code`, Fastify's own `code`). */
function codeOf(text: string): string {
  const body = safeJson(text);
  if (!isRecord(body)) return '(not JSON)';
  if (typeof body['code'] === 'string') return body['code'];
  if (isRecord(body['error']) && typeof body['error']['code'] === 'string') return body['error']['code'];
  return '(no code)';
}
