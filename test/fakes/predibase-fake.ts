import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  describeZodIssues,
  fakeCreateDeploymentBodySchema,
  fakeListQuerySchema,
  fakeUpdateDeploymentBodySchema,
  type FakeDeploymentConfig,
} from './predibase-fake-schemas.js';
import { createLoraxValidator, type LoraxValidator } from './predibase-lorax-validator.js';

/**
 * A fake of Predibase on one real HTTP server: the control plane (`/v1|v2/users/current`,
 * `/v2/deployments…`) and the serving side (LoRAX's OpenAI-compatible routes under
 * `/{tenant}/deployments/v2/llms/{name}/v1`). Point both `baseUrl` and `servingUrl` at `fake.url`.
 *
 * Control-plane bodies are checked with the strict zod schemas of predibase.md; inference bodies with
 * LoRAX's own OpenAPI file. A violation is answered with HTTP 400 naming it. Deployments move
 * pending → initializing → ready as they are observed (or on `advance()`), so tests control time.
 */

export type PredibaseFakeRoute =
  | 'users-current'
  | 'deployments-create'
  | 'deployments-get'
  | 'deployments-list'
  | 'deployments-update'
  | 'deployments-delete'
  | 'chat'
  | 'completions';

export type PredibaseFakeFault =
  /** Answer with this status and body (default LoRAX-style `{error, error_type}`). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 429 with `Retry-After` and Predibase's `x-ratelimit-*` headers. */
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  /** Never answer (until the fake closes). */
  | { kind: 'hang' }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed' }
  /** Close the socket without any response. */
  | { kind: 'drop-connection' }
  /** Carry the operation out, then answer with an error: the "response lost after the create happened" case. */
  | { kind: 'apply-then-fail'; status: number }
  /** Streaming chat only: send this many token chunks, then cut the connection. */
  | { kind: 'stream-cut'; afterChunks: number }
  /** Streaming chat only: send this many token chunks, then LoRAX's in-band `{error, error_type}` event. */
  | { kind: 'in-band-error'; afterChunks: number; error: string; errorType: string };

export interface RecordedRequest {
  route: PredibaseFakeRoute | 'unknown';
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, the raw text when it was not JSON, undefined when empty. */
  body: unknown;
  /** Lower-case header names; the Authorization value is replaced by `<redacted>`. */
  headers: Record<string, string>;
  /** Whether the bearer token matched. */
  authorized: boolean;
}

export type FakeDeploymentStatus = 'pending' | 'initializing' | 'ready' | 'updating' | 'standby' | 'stopped' | 'errored' | (string & {});

export interface FakeDeployment {
  name: string;
  uuid: string;
  description: string;
  config: FakeDeploymentConfig;
  status: FakeDeploymentStatus;
  /** Shown as `errorText` in the deployment body when set (provider-side failure). */
  errorText: string | null;
  /** Observations since create; drives pending → initializing → ready. */
  progress: number;
  /** Observations left in `updating`. */
  updateRemaining: number;
  /** Every config the deployment has had, oldest first (create, then each update). */
  history: FakeDeploymentConfig[];
}

export interface PredibaseFakeOptions {
  token?: string;
  tenant?: string;
  /** Observations (GETs or advance steps) after create before the deployment is ready. Default 2. */
  readyAfterObserves?: number;
  /** Observations an update stays in `updating`. Default 1. */
  updateObserves?: number;
  /** Which prefixes answer `users/current`. Default both. */
  usersCurrentPrefixes?: ('v1' | 'v2')[];
  /** Shared (serverless) endpoints: short name → base model id. */
  sharedModels?: Record<string, string>;
  /** Adapter ids LoRAX can load (`repo/version` or a Hub id); anything else fails with 424. */
  adapters?: string[];
  /** The text every generation produces (before adapter prefix, stops and max_tokens). */
  reply?: string;
  /** How long a request to a deployment in standby is held while it scales from zero. Default 50 ms. */
  coldStartMs?: number;
}

export interface PredibaseFake {
  /** `http://127.0.0.1:<port>`: both the control-plane and the serving base URL. */
  readonly url: string;
  readonly token: string;
  readonly tenant: string;
  readonly requests: RecordedRequest[];
  requestsTo(route: PredibaseFakeRoute): RecordedRequest[];
  /** Queue a fault for the next `times` requests to `route`. */
  inject(route: PredibaseFakeRoute, fault: PredibaseFakeFault, times?: number): void;
  clearFaults(): void;
  deployments(): FakeDeployment[];
  deployment(name: string): FakeDeployment | undefined;
  /** Moves every deployment `steps` observations forward. */
  advance(steps?: number): void;
  /** Provider-side state change, e.g. `setStatus(name, 'errored', 'CUDA out of memory')`. */
  setStatus(name: string, status: FakeDeploymentStatus, errorText?: string | null): void;
  /** The deployment scales to zero; the next inference holds for `coldStartMs` and wakes it. */
  scaleToZero(name: string): void;
  /** Pause between streamed tokens from now on (0 = as fast as possible). */
  setTokenDelay(ms: number): void;
  close(): Promise<void>;
}

const chatPath = /^\/([^/]+)\/deployments\/v2\/llms\/([^/]+)\/v1\/(chat\/completions|completions)$/;
const deploymentPath = /^\/v2\/deployments\/([^/]+)$/;
const knownAdapterSources = new Set(['pbase', 'hub', 's3', 'local']);

class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const loraxError = (status: number, error: string, errorType: string): HttpAnswer => new HttpAnswer(status, { error, error_type: errorType });

function routeOf(method: string, path: string): PredibaseFakeRoute | 'unknown' {
  if (method === 'GET' && /^\/v[12]\/users\/current$/.test(path)) return 'users-current';
  if (path === '/v2/deployments') return method === 'POST' ? 'deployments-create' : method === 'GET' ? 'deployments-list' : 'unknown';
  if (deploymentPath.test(path)) {
    if (method === 'GET') return 'deployments-get';
    if (method === 'PUT') return 'deployments-update';
    if (method === 'DELETE') return 'deployments-delete';
  }
  const chat = chatPath.exec(path);
  if (method === 'POST' && chat) return chat[3] === 'completions' ? 'completions' : 'chat';
  return 'unknown';
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

/** Splits text into word-sized "tokens", keeping the spaces so they join back exactly. */
function tokenize(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

interface Generation {
  tokens: string[];
  finishReason: 'stop' | 'length' | 'content_filter';
  promptTokens: number;
}

/** Compiling LoRAX's schemas takes a moment; every fake in a test file shares one validator. */
let sharedValidator: LoraxValidator | undefined;

export async function startPredibaseFake(options: PredibaseFakeOptions = {}): Promise<PredibaseFake> {
  const token = options.token ?? 'pb_fake_token_0123456789';
  const tenant = options.tenant ?? 'a1b2c3';
  const readyAfter = options.readyAfterObserves ?? 2;
  const updateObserves = options.updateObserves ?? 1;
  const usersPrefixes = new Set(options.usersCurrentPrefixes ?? ['v1', 'v2']);
  const sharedModels = options.sharedModels ?? { 'qwen3-8b': 'Qwen/Qwen3-8B' };
  const adapters = new Set(options.adapters ?? ['support-bot/1', 'support-bot/2']);
  const reply = options.reply ?? 'Hello from the fake LoRAX server, nice to meet you.';
  const coldStartMs = options.coldStartMs ?? 50;
  let tokenDelayMs = 0;

  sharedValidator ??= createLoraxValidator();
  const validator: LoraxValidator = sharedValidator;
  const requests: RecordedRequest[] = [];
  const faults = new Map<PredibaseFakeRoute, { fault: PredibaseFakeFault; remaining: number }[]>();
  const store = new Map<string, FakeDeployment>();

  const takeFault = (route: PredibaseFakeRoute | 'unknown'): PredibaseFakeFault | undefined => {
    if (route === 'unknown') return undefined;
    const queue = faults.get(route);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  };

  const statusOf = (deployment: FakeDeployment): FakeDeploymentStatus => deployment.status;

  /** An observation moves a deployment one step, after the answer shows the current step. */
  const step = (deployment: FakeDeployment): void => {
    if (deployment.status === 'pending' || deployment.status === 'initializing') {
      deployment.progress += 1;
      deployment.status = deployment.progress >= readyAfter ? 'ready' : 'initializing';
    } else if (deployment.status === 'updating') {
      deployment.updateRemaining -= 1;
      if (deployment.updateRemaining <= 0) deployment.status = 'ready';
    }
  };

  const wire = (deployment: FakeDeployment): Record<string, unknown> => {
    const config = deployment.config;
    const running = ['ready', 'updating'].includes(deployment.status);
    return {
      name: deployment.name,
      uuid: deployment.uuid,
      description: deployment.description,
      type: 'dedicated',
      status: statusOf(deployment),
      model: { name: config.baseModel, maxInputLength: 8192 },
      accelerator: { id: config.accelerator ?? 'a10_24gb_100' },
      quantization: config.quantization ?? null,
      currentReplicas: running ? Math.max(1, config.minReplicas ?? 0) : 0,
      config: {
        baseModel: config.baseModel,
        minReplicas: config.minReplicas ?? 0,
        maxReplicas: config.maxReplicas ?? 1,
        cooldownTime: config.cooldownTime ?? 3600,
        scaleUpRequestThreshold: config.scaleUpRequestThreshold ?? 1,
        ...(config.preloadedAdapters ? { preloadedAdapters: config.preloadedAdapters } : {}),
      },
      usesGuaranteedCapacity: config.usesGuaranteedCapacity ?? false,
      ...(deployment.errorText ? { errorText: deployment.errorText } : {}),
    };
  };

  const sharedWire = (name: string, baseModel: string): Record<string, unknown> => ({
    name,
    uuid: `shared-${name}`,
    description: 'Shared endpoint',
    type: 'shared',
    status: 'ready',
    model: { name: baseModel, maxInputLength: 8192 },
    accelerator: null,
    currentReplicas: 1,
  });

  const parseJson = (raw: string): unknown => {
    if (raw === '') return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new HttpAnswer(400, { error: 'Failed to parse the request body as JSON' });
    }
  };

  const requireJson = (request: IncomingMessage): void => {
    const type = request.headers['content-type'] ?? '';
    if (!type.toLowerCase().startsWith('application/json')) {
      throw new HttpAnswer(415, { error: "Expected request with `Content-Type: application/json`" });
    }
  };

  const validated = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new HttpAnswer(400, { error: `invalid request body: ${describeZodIssues(parsed.error)}` });
    return parsed.data;
  };

  const generate = (body: Record<string, unknown>, adapterId: string | null): Generation => {
    const text = adapterId ? `[${adapterId}] ${reply}` : reply;
    let finishReason: Generation['finishReason'] = 'stop';
    let output = text;
    const stops = Array.isArray(body['stop']) ? body['stop'].filter((item): item is string => typeof item === 'string') : [];
    let cut = -1;
    for (const stop of stops) {
      const at = stop === '' ? -1 : output.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      output = output.slice(0, cut);
      // LoRAX reports a stop sequence as content_filter on its OpenAI routes.
      finishReason = 'content_filter';
    }
    let tokens = tokenize(output);
    const maxTokens = typeof body['max_tokens'] === 'number' ? body['max_tokens'] : Number.POSITIVE_INFINITY;
    if (tokens.length > maxTokens) {
      tokens = tokens.slice(0, maxTokens);
      finishReason = 'length';
    }
    const messages = Array.isArray(body['messages']) ? (body['messages'] as { content?: unknown }[]) : [];
    const promptText = typeof body['prompt'] === 'string' ? body['prompt'] : messages.map((message) => String(message.content ?? '')).join(' ');
    return { tokens, finishReason, promptTokens: Math.max(1, tokenize(promptText).length) };
  };

  const usageOf = (generation: Generation) => ({
    prompt_tokens: generation.promptTokens,
    completion_tokens: generation.tokens.length,
    total_tokens: generation.promptTokens + generation.tokens.length,
  });

  const handleInference = async (
    route: 'chat' | 'completions',
    request: IncomingMessage,
    response: ServerResponse,
    match: RegExpExecArray,
    body: unknown,
    fault: PredibaseFakeFault | undefined,
  ): Promise<void> => {
    const [, pathTenant, name] = match;
    if (pathTenant !== tenant || name === undefined) throw new HttpAnswer(404, { error: `tenant '${pathTenant ?? ''}' not found` });
    requireJson(request);
    const schemaName = route === 'chat' ? 'ChatCompletionRequest' : 'CompletionRequest';
    const check = validator.validate(schemaName, body);
    if (!check.valid) throw loraxError(400, `request does not match LoRAX ${schemaName}: ${check.errors.join('; ')}`, 'validation');
    const payload = body as Record<string, unknown>;

    let baseModel: string;
    const shared = sharedModels[name];
    if (shared !== undefined) {
      baseModel = shared;
    } else {
      const deployment = store.get(name);
      if (!deployment) throw new HttpAnswer(404, { error: `deployment ${name} not found` });
      if (deployment.status === 'standby') {
        await new Promise((resolve) => setTimeout(resolve, coldStartMs));
        deployment.status = 'ready';
      }
      if (!['ready', 'updating'].includes(deployment.status)) {
        throw new HttpAnswer(503, { error: `deployment ${name} is ${deployment.status}, not ready to serve` });
      }
      baseModel = deployment.config.baseModel;
    }

    const source = payload['adapter_source'];
    if (source !== undefined && source !== null && (typeof source !== 'string' || !knownAdapterSources.has(source))) {
      throw loraxError(422, `Input validation error: unknown adapter source ${String(source)}`, 'validation');
    }
    const model = typeof payload['model'] === 'string' ? payload['model'] : '';
    const adapterId = model === '' || model === baseModel ? null : model;
    if (adapterId !== null && !adapters.has(adapterId)) {
      throw loraxError(
        424,
        `Request failed during generation: Server error: Failed to load adapter ${adapterId}: repository not found or not compatible with base model ${baseModel}`,
        'generation',
      );
    }

    const generation = generate(payload, adapterId);
    const created = Math.floor(Date.now() / 1000);
    if (payload['stream'] !== true) {
      if (route === 'chat') {
        sendJson(response, 200, {
          id: 'null',
          object: 'text_completion',
          created,
          model: baseModel,
          system_fingerprint: '0.12.1-fake',
          choices: [{ index: 0, message: { role: 'assistant', content: generation.tokens.join('') }, finish_reason: generation.finishReason }],
          usage: usageOf(generation),
        });
      } else {
        sendJson(response, 200, {
          id: 'null',
          object: 'text_completion',
          created: 0,
          model: 'null',
          choices: [{ index: 0, text: generation.tokens.join(''), logprobs: null, finish_reason: generation.finishReason }],
          usage: usageOf(generation),
        });
      }
      return;
    }

    response.writeHead(200, { 'content-type': 'text/event-stream', 'x-accel-buffering': 'no', 'cache-control': 'no-cache' });
    const send = (data: unknown): void => {
      response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    };
    const chunk = (text: string | null, finishReason: string | null, usage?: unknown) =>
      route === 'chat'
        ? {
            id: 'null',
            object: 'chat.completion.chunk',
            created: 0,
            model: 'null',
            choices: [{ index: 0, delta: text === null ? {} : { role: 'assistant', content: text }, finish_reason: finishReason }],
            ...(usage === undefined ? {} : { usage }),
          }
        : {
            id: 'null',
            object: 'text_completion',
            created: 0,
            model: 'null',
            choices: [{ index: 0, text: text ?? '', logprobs: null, finish_reason: finishReason }],
            usage: usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
          };
    // A keep-alive comment, as axum sends on idle streams: clients must skip it.
    response.write(': keep-alive\n\n');
    for (const [index, token] of generation.tokens.entries()) {
      if (fault?.kind === 'stream-cut' && index === fault.afterChunks) {
        response.destroy();
        return;
      }
      if (fault?.kind === 'in-band-error' && index === fault.afterChunks) {
        send({ error: fault.error, error_type: fault.errorType });
        response.end();
        return;
      }
      const last = index === generation.tokens.length - 1;
      if (last && generation.finishReason === 'length') {
        send(chunk(token, 'length', usageOf(generation)));
      } else {
        send(chunk(token, null));
      }
      await new Promise((resolve) => (tokenDelayMs > 0 ? setTimeout(resolve, tokenDelayMs) : setImmediate(resolve)));
      if (response.destroyed) return;
    }
    if (generation.finishReason !== 'length' || generation.tokens.length === 0) {
      send(chunk(null, generation.finishReason, usageOf(generation)));
    }
    send('[DONE]');
    response.end();
  };

  const handleControl = (
    route: Exclude<PredibaseFakeRoute, 'chat' | 'completions'>,
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    query: Record<string, string>,
    body: unknown,
    fault: PredibaseFakeFault | undefined,
  ): void => {
    const failAfter = fault?.kind === 'apply-then-fail' ? fault.status : null;
    const answer = (status: number, payload: unknown) => {
      if (failAfter !== null) sendJson(response, failAfter, { error: 'upstream connect error or disconnect/reset before headers' });
      else sendJson(response, status, payload);
    };
    switch (route) {
      case 'users-current': {
        const prefix = path.startsWith('/v1/') ? 'v1' : 'v2';
        if (!usersPrefixes.has(prefix)) throw new HttpAnswer(404, { error: 'not found' });
        answer(200, { id: 7, username: 'fake-user', email: 'fake@example.com', tenant: { id: 3, name: 'Fake Org', shortCode: tenant, status: 'active' } });
        return;
      }
      case 'deployments-list': {
        const filter = validated(fakeListQuerySchema, query);
        const privateOnes = filter.type === 'shared' || filter.type === 'serverless' ? [] : [...store.values()].map(wire);
        const sharedOnes =
          filter.type === 'private' || filter.type === 'dedicated' ? [] : Object.entries(sharedModels).map(([name, base]) => sharedWire(name, base));
        answer(200, { data: [...privateOnes, ...sharedOnes] });
        return;
      }
      case 'deployments-create': {
        requireJson(request);
        const create = validated(fakeCreateDeploymentBodySchema, body);
        if (store.has(create.name) || sharedModels[create.name] !== undefined) {
          throw new HttpAnswer(409, { error: `deployment ${create.name} already exists` });
        }
        const deployment: FakeDeployment = {
          name: create.name,
          uuid: randomUUID(),
          description: create.description,
          config: create.config,
          status: 'pending',
          errorText: null,
          progress: 0,
          updateRemaining: 0,
          history: [create.config],
        };
        store.set(create.name, deployment);
        answer(200, { data: wire(deployment) });
        return;
      }
      case 'deployments-get': {
        const name = decodeURIComponent(deploymentPath.exec(path)?.[1] ?? '');
        const shared = sharedModels[name];
        if (shared !== undefined) return answer(200, { data: sharedWire(name, shared) });
        const deployment = store.get(name);
        if (!deployment) throw new HttpAnswer(404, { error: `deployment ${name} not found` });
        answer(200, { data: wire(deployment) });
        step(deployment);
        return;
      }
      case 'deployments-update': {
        requireJson(request);
        const name = decodeURIComponent(deploymentPath.exec(path)?.[1] ?? '');
        const deployment = store.get(name);
        if (!deployment) throw new HttpAnswer(404, { error: `deployment ${name} not found` });
        const update = validated(fakeUpdateDeploymentBodySchema, body);
        const changes = update.config ?? {};
        if (changes.accelerator !== undefined && changes.accelerator !== (deployment.config.accelerator ?? 'a10_24gb_100')) {
          throw new HttpAnswer(400, { error: 'accelerator cannot be changed on an existing deployment' });
        }
        if (changes.baseModel !== undefined && changes.baseModel !== deployment.config.baseModel) {
          throw new HttpAnswer(400, { error: 'baseModel cannot be changed on an existing deployment' });
        }
        const next = { ...deployment.config, ...changes } as FakeDeploymentConfig;
        if ((next.minReplicas ?? 0) > (next.maxReplicas ?? 1)) throw new HttpAnswer(400, { error: 'minReplicas must not exceed maxReplicas' });
        deployment.config = next;
        deployment.history.push(next);
        if (update.description !== undefined) deployment.description = update.description;
        if (deployment.status === 'ready' || deployment.status === 'standby') {
          deployment.status = 'updating';
          deployment.updateRemaining = updateObserves;
        }
        answer(200, { data: wire(deployment) });
        return;
      }
      case 'deployments-delete': {
        const name = decodeURIComponent(deploymentPath.exec(path)?.[1] ?? '');
        if (!store.delete(name)) throw new HttpAnswer(404, { error: `deployment ${name} not found` });
        answer(200, { message: `deployment ${name} deleted` });
        return;
      }
    }
  };

  const openSockets = new Set<ServerResponse>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const method = request.method ?? 'GET';
    const route = routeOf(method, url.pathname);
    const raw = await readBody(request);
    const authorized = request.headers.authorization === `Bearer ${token}`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      headers[name] = name === 'authorization' ? '<redacted>' : Array.isArray(value) ? value.join(', ') : value;
    }
    let recordedBody: unknown = raw === '' ? undefined : raw;
    try {
      recordedBody = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      // keep the raw text
    }
    requests.push({ route, method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: recordedBody, headers, authorized });

    if (route === 'unknown') throw new HttpAnswer(404, { error: `no route for ${method} ${url.pathname}` });
    if (!authorized) throw new HttpAnswer(401, { error: 'Invalid or missing API token' });

    const fault = takeFault(route);
    switch (fault?.kind) {
      case 'hang':
        openSockets.add(response);
        return;
      case 'drop-connection':
        request.socket.destroy();
        return;
      case 'malformed':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"data": {"name": "oops", "status": ');
        return;
      case 'status':
        sendJson(response, fault.status, fault.body ?? { error: `fake failure (HTTP ${fault.status})`, error_type: 'fake' }, fault.headers);
        return;
      case 'rate-limit':
        sendJson(
          response,
          429,
          { error: 'Rate limit exceeded, please slow down', error_type: 'overloaded' },
          {
            'retry-after': String(fault.retryAfterSeconds),
            'x-envoy-ratelimited': 'true',
            'x-ratelimit-limit': '1',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(fault.retryAfterSeconds),
          },
        );
        return;
      default:
        break;
    }

    const body = parseJson(raw);
    const inference = chatPath.exec(url.pathname);
    if ((route === 'chat' || route === 'completions') && inference) {
      await handleInference(route, request, response, inference, body, fault);
      return;
    }
    if (route !== 'chat' && route !== 'completions') handleControl(route, request, response, url.pathname, Object.fromEntries(url.searchParams), body, fault);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof HttpAnswer) sendJson(response, error.status, error.body);
      else sendJson(response, 500, { error: `fake crashed: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    tenant,
    requests,
    requestsTo: (route) => requests.filter((recorded) => recorded.route === route),
    inject(route, fault, times = 1) {
      const queue = faults.get(route) ?? [];
      queue.push({ fault, remaining: times });
      faults.set(route, queue);
    },
    clearFaults: () => faults.clear(),
    deployments: () => [...store.values()],
    deployment: (name) => store.get(name),
    advance(steps = 1) {
      for (let index = 0; index < steps; index += 1) for (const deployment of store.values()) step(deployment);
    },
    setStatus(name, status, errorText = null) {
      const deployment = store.get(name);
      if (!deployment) throw new Error(`fake has no deployment ${name}`);
      deployment.status = status;
      deployment.errorText = errorText;
    },
    scaleToZero(name) {
      const deployment = store.get(name);
      if (!deployment) throw new Error(`fake has no deployment ${name}`);
      deployment.status = 'standby';
    },
    setTokenDelay(ms) {
      tokenDelayMs = ms;
    },
    async close() {
      for (const response of openSockets) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
