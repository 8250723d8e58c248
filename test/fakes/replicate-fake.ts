import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { replicateOpenApiValidator } from './replicate-openapi-validator.js';

/**
 * A fake Replicate HTTP API on 127.0.0.1:0 for connector tests: deployments, hardware, account, models
 * (latest version), deployment predictions, prediction get/cancel and the SSE stream.
 *
 * Faithful where the contract is known (contracts/replicate.md): no deployment status, a release number
 * per change, predictions `starting` while an instance cold-boots (virtual time, moved by `advance`),
 * LLM output as an array of tokens, metrics with token counts, SSE `output`/`error`/`done` events,
 * problem+json errors, 429 with Retry-After, DELETE refused until the deployment has been offline and
 * unused for 15 minutes. Every request is checked against replicate-openapi.json and refused with 400
 * naming the violation. Where the real behaviour is UNCONFIRMED the choice is noted at the handler.
 */

export const FAKE_REPLICATE_TOKEN = 'r8_fake_token_0123456789abcdef';
export const FAKE_REPLICATE_OWNER = 'acme';
export const FAKE_MODEL = 'acme/support-llm';
export const FAKE_VERSION = 'a'.repeat(64);
export const FAKE_VERSION_2 = 'b'.repeat(64);
/** Replicate refuses DELETE until the deployment has been offline and unused this long. */
export const DELETE_COOLDOWN_MS = 15 * 60_000;

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/deployments`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; the Authorization value is replaced by `[present]`. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** OpenAPI operationId, `stream` for the SSE endpoint, or null when nothing matched. */
  operation: string | null;
}

/** A fault injected into the next matching requests. */
export type FaultKind =
  | { kind: 'rate-limit'; retryAfterSeconds?: number }
  | { kind: 'server-error'; status?: number; detail?: string }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  /** Performs the request, then drops the connection without answering: a lost response. */
  | { kind: 'drop-after-commit' };

export type Fault = FaultKind & {
  /** How many matching requests it hits; default 1. */
  times?: number;
  /** OpenAPI operationId (`deployments.create`, `predictions.get`…) or `stream`; any when omitted. */
  operation?: string;
};

export interface ReplicateFakeScenario {
  /** Virtual ms an instance needs to boot before predictions leave `starting`. */
  coldBootMs: number;
  /** Virtual ms a scale-to-zero instance stays up after its last prediction. */
  idleShutdownMs: number;
  /** Predictions fail with this error (after `afterTokens` tokens when streamed). */
  predictionFailure: { message: string; afterTokens?: number } | null;
  /** The stream connection is cut after this many `output` events, before `done`. */
  streamCut: { afterTokens: number } | null;
  /** Real ms between streamed tokens (slow stream). */
  streamTokenDelayMs: number;
  /** Virtual ms a started prediction stays `processing` before it finishes (0: at once). */
  generationMs: number;
  /** Leave the token counts out of metrics (non-official models only report times). */
  omitTokenMetrics: boolean;
  /** Whether predictions get `urls.stream`. */
  streamable: boolean;
  /** Tokens every prediction produces; null echoes the prompt. */
  reply: string[] | null;
}

interface Release {
  number: number;
  model: string;
  version: string;
  created_at: string;
  configuration: { hardware: string; min_instances: number; max_instances: number };
}

interface FakeDeployment {
  owner: string;
  name: string;
  release: Release;
  /** Virtual time an instance is (or will be) up; null when none is running or booting. */
  instanceUpAt: number | null;
  /** Virtual time the deployment last did work or had an instance online. */
  lastActiveAt: number;
}

export interface FakePrediction {
  id: string;
  deployment: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';
  plannedTokens: string[];
  output: string[] | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  deadline: number | null;
  failure: { message: string; afterTokens?: number } | null;
}

const defaultScenario: ReplicateFakeScenario = {
  coldBootMs: 0,
  idleShutdownMs: 5 * 60_000,
  predictionFailure: null,
  streamCut: null,
  streamTokenDelayMs: 0,
  generationMs: 0,
  omitTokenMetrics: false,
  streamable: true,
  reply: null,
};

const defaultHardware = [
  { sku: 'cpu', name: 'CPU' },
  { sku: 'gpu-t4', name: 'Nvidia T4 GPU' },
  { sku: 'gpu-a40-small', name: 'Nvidia A40 GPU' },
  { sku: 'gpu-l40s', name: 'Nvidia L40S GPU' },
  { sku: 'gpu-a100-large', name: 'Nvidia A100 (80GB) GPU' },
];

export interface ReplicateFakeOptions {
  token?: string;
  owner?: string;
  /** Models the account can deploy: `owner/name` → versions, latest last. */
  models?: Record<string, string[]>;
  hardware?: { sku: string; name: string }[];
  scenario?: Partial<ReplicateFakeScenario>;
}

function problem(status: number, title: string, detail: string): { status: number; body: Record<string, unknown> } {
  return { status, body: { title, detail, status } };
}

/** `Cancel-After` durations: `30s`, `5m`, `1h30m45s`, or bare seconds. */
function parseDuration(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') return null;
  const [, hours, minutes, seconds] = match;
  return ((Number(hours ?? 0) * 60 + Number(minutes ?? 0)) * 60 + Number(seconds ?? 0)) * 1000;
}

function countWords(text: unknown): number {
  return typeof text === 'string' ? (text.match(/\S+/g) ?? []).length : 0;
}

export class ReplicateFake {
  readonly requests: RecordedRequest[] = [];
  /** Schema violations the fake refused, for assertions. */
  readonly violations: string[] = [];
  scenario: ReplicateFakeScenario;
  readonly token: string;
  readonly owner: string;

  private readonly validator = replicateOpenApiValidator();
  private readonly deploymentsByKey = new Map<string, FakeDeployment>();
  private readonly predictionsById = new Map<string, FakePrediction>();
  private readonly faults: (Fault & { remaining: number })[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly models: Record<string, string[]>;
  private readonly hardware: { sku: string; name: string }[];
  private virtualNow = Date.parse('2026-01-05T09:00:00.000Z');
  private predictionCounter = 0;
  private server: Server | null = null;
  private origin = '';

  constructor(options: ReplicateFakeOptions = {}) {
    this.token = options.token ?? FAKE_REPLICATE_TOKEN;
    this.owner = options.owner ?? FAKE_REPLICATE_OWNER;
    this.models = options.models ?? { [FAKE_MODEL]: [FAKE_VERSION, FAKE_VERSION_2] };
    this.hardware = options.hardware ?? defaultHardware;
    this.scenario = { ...defaultScenario, ...options.scenario };
  }

  /** Starts listening on 127.0.0.1 with a free port. */
  async start(): Promise<this> {
    const server = createServer((request, response) => {
      void this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.sendJson(response, 500, { detail: `fake crashed: ${String(error)}` });
        else response.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Base URL to give the connector as `settings.baseUrl`. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Virtual epoch ms. */
  now(): number {
    return this.virtualNow;
  }

  /** Moves virtual time: instances finish booting, idle ones shut down, deadlines pass. */
  advance(ms: number): void {
    this.virtualNow += ms;
    this.refreshAll();
  }

  setScenario(changes: Partial<ReplicateFakeScenario>): void {
    this.scenario = { ...this.scenario, ...changes };
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** The deployments the fake holds, as Replicate would return them. */
  deployments(): Record<string, unknown>[] {
    return [...this.deploymentsByKey.values()].map((deployment) => this.deploymentJson(deployment));
  }

  predictions(): FakePrediction[] {
    this.refreshAll();
    return [...this.predictionsById.values()];
  }

  /** Seeds a deployment directly, e.g. one that drifted or was created by hand. */
  seedDeployment(name: string, configuration: Release['configuration'], model = FAKE_MODEL, version = FAKE_VERSION): void {
    this.deploymentsByKey.set(`${this.owner}/${name}`, {
      owner: this.owner,
      name,
      release: { number: 1, model, version, created_at: new Date(this.virtualNow).toISOString(), configuration },
      instanceUpAt: configuration.min_instances > 0 ? this.virtualNow + this.scenario.coldBootMs : null,
      lastActiveAt: this.virtualNow,
    });
  }

  requestsFor(operation: string): RecordedRequest[] {
    return this.requests.filter((request) => request.operation === operation);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    const text = await readBody(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers[name] = name === 'authorization' ? '[present]' : value;
    }
    const body = parseBody(text);
    const streamMatch = /^\/streaming\/v1\/predictions\/([^/]+)$/.exec(url.pathname);
    const apiPath = url.pathname.startsWith('/v1/') ? url.pathname.slice(3) : null;
    const matched = apiPath === null ? null : this.validator.match(request.method ?? 'GET', apiPath);
    const operation = streamMatch && request.method === 'GET' ? 'stream' : (matched?.operationId ?? null);
    const recordedBody = body ?? (text === '' ? undefined : text);
    this.requests.push({ method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: recordedBody, operation });

    if (request.headers.authorization !== `Bearer ${this.token}`) {
      // Replicate answers a bad token with 401 (status/body UNCONFIRMED); the stream endpoint too.
      return this.sendJson(response, 401, problem(401, 'Unauthenticated', 'You did not pass a valid authentication token').body);
    }
    if (operation === null) return this.sendJson(response, 404, problem(404, 'Not found', `no route for ${request.method} ${url.pathname}`).body);

    if (operation !== 'stream' && matched) {
      if (text !== '' && body === undefined) {
        return this.refuse(response, `body is not valid JSON`);
      }
      const violations = this.validator.validateRequest(operation, body, text !== '', stringHeaders(request));
      if (violations.length > 0) return this.refuse(response, violations.join('; '));
    }

    const fault = this.takeFault(operation);
    if (fault) {
      switch (fault.kind) {
        case 'rate-limit': {
          const seconds = fault.retryAfterSeconds ?? 1;
          response.setHeader('Retry-After', String(seconds));
          return this.sendJson(response, 429, { detail: `Request was throttled. Expected available in ${seconds} second.` });
        }
        case 'server-error':
          return this.sendJson(response, fault.status ?? 503, problem(fault.status ?? 503, 'Service unavailable', fault.detail ?? 'upstream is overloaded, try again').body);
        case 'hang':
          this.hanging.add(response);
          return;
        case 'malformed':
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{"id": "p1", "status": ');
          return;
        case 'drop-after-commit':
          break;
      }
    }

    this.refreshAll();
    if (operation === 'stream') {
      await this.stream(streamMatch?.[1] ?? '', response);
      return;
    }
    const params = matched?.params ?? {};
    const result = this.route(operation, params, body, stringHeaders(request));
    if (fault?.kind === 'drop-after-commit') {
      response.socket?.destroy();
      return;
    }
    if (result.headers) for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
    if (result.status === 204) {
      response.writeHead(204);
      response.end();
      return;
    }
    this.sendJson(response, result.status, result.body);
  }

  private refuse(response: ServerResponse, violation: string): void {
    this.violations.push(violation);
    this.sendJson(response, 400, problem(400, 'Request does not match replicate-openapi.json', violation).body);
  }

  private takeFault(operation: string): Fault | null {
    const index = this.faults.findIndex((fault) => fault.operation === undefined || fault.operation === operation);
    if (index < 0) return null;
    const fault = this.faults[index];
    if (!fault) return null;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private route(
    operation: string,
    params: Record<string, string>,
    body: unknown,
    headers: Record<string, string>,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const key = `${params['deployment_owner'] ?? ''}/${params['deployment_name'] ?? ''}`;
    switch (operation) {
      case 'account.get':
        return { status: 200, body: { type: 'organization', username: this.owner, name: 'Acme Corp', github_url: 'https://github.com/acme' } };
      case 'hardware.list':
        return { status: 200, body: this.hardware };
      case 'models.get': {
        const model = `${params['model_owner'] ?? ''}/${params['model_name'] ?? ''}`;
        const versions = this.models[model];
        if (!versions) return problem(404, 'Not found', `Model not found: ${model}`);
        const latest = versions[versions.length - 1];
        return {
          status: 200,
          body: {
            url: `https://replicate.com/${model}`,
            owner: params['model_owner'],
            name: params['model_name'],
            visibility: 'private',
            latest_version: latest ? { id: latest, created_at: new Date(this.virtualNow).toISOString() } : null,
          },
        };
      }
      case 'deployments.list':
        return { status: 200, body: { next: null, previous: null, results: this.deployments() } };
      case 'deployments.create':
        return this.createDeployment(record);
      case 'deployments.get': {
        const deployment = this.deploymentsByKey.get(key);
        return deployment ? { status: 200, body: this.deploymentJson(deployment) } : problem(404, 'Not found', 'Deployment not found');
      }
      case 'deployments.update':
        return this.updateDeployment(key, record);
      case 'deployments.delete':
        return this.deleteDeployment(key);
      case 'deployments.predictions.create':
        return this.createPrediction(key, record, headers);
      case 'predictions.get': {
        const prediction = this.predictionsById.get(params['prediction_id'] ?? '');
        return prediction ? { status: 200, body: this.predictionJson(prediction) } : problem(404, 'Not found', 'Prediction not found');
      }
      case 'predictions.cancel': {
        const prediction = this.predictionsById.get(params['prediction_id'] ?? '');
        if (!prediction) return problem(404, 'Not found', 'Prediction not found');
        if (prediction.status === 'starting' || prediction.status === 'processing') this.finish(prediction, 'canceled');
        return { status: 200, body: this.predictionJson(prediction) };
      }
      default:
        return problem(404, 'Not found', `the fake does not implement ${operation}`);
    }
  }

  private checkRelease(model: string, version: unknown, hardware: unknown): { status: number; body: Record<string, unknown> } | null {
    const versions = this.models[model];
    if (!versions || (typeof version === 'string' && !versions.includes(version))) {
      return problem(422, 'Invalid version or not permitted', "The specified version does not exist (or perhaps you don't have permission to use it?)");
    }
    if (typeof hardware === 'string' && !this.hardware.some((item) => item.sku === hardware)) {
      // Status and wording for an unknown SKU are UNCONFIRMED.
      return problem(422, 'Invalid hardware', `Hardware '${hardware}' is not available; see GET /v1/hardware`);
    }
    return null;
  }

  private createDeployment(body: Record<string, unknown>): { status: number; body?: unknown } {
    const name = String(body['name']);
    const model = String(body['model']);
    const key = `${this.owner}/${name}`;
    if (this.deploymentsByKey.has(key)) {
      // The real answer to a duplicate name is UNCONFIRMED; a conflict is the likely shape.
      return problem(409, 'Conflict', `A deployment named '${name}' already exists`);
    }
    const invalid = this.checkRelease(model, body['version'], body['hardware']);
    if (invalid) return invalid;
    const configuration = {
      hardware: String(body['hardware']),
      min_instances: Number(body['min_instances']),
      max_instances: Number(body['max_instances']),
    };
    this.seedDeployment(name, configuration, model, String(body['version']));
    const created = this.deploymentsByKey.get(key);
    return { status: 200, body: created ? this.deploymentJson(created) : undefined };
  }

  private updateDeployment(key: string, body: Record<string, unknown>): { status: number; body?: unknown } {
    const deployment = this.deploymentsByKey.get(key);
    if (!deployment) return problem(404, 'Not found', 'Deployment not found');
    const invalid = this.checkRelease(deployment.release.model, body['version'], body['hardware']);
    if (invalid) return invalid;
    const previous = deployment.release;
    const configuration = {
      hardware: typeof body['hardware'] === 'string' ? body['hardware'] : previous.configuration.hardware,
      min_instances: typeof body['min_instances'] === 'number' ? body['min_instances'] : previous.configuration.min_instances,
      max_instances: typeof body['max_instances'] === 'number' ? body['max_instances'] : previous.configuration.max_instances,
    };
    const version = typeof body['version'] === 'string' ? body['version'] : previous.version;
    deployment.release = { number: previous.number + 1, model: previous.model, version, created_at: new Date(this.virtualNow).toISOString(), configuration };
    if (configuration.max_instances === 0) {
      // Disabling cancels in-flight predictions and stops every instance.
      for (const prediction of this.predictionsById.values()) {
        if (prediction.deployment === key && (prediction.status === 'starting' || prediction.status === 'processing')) this.finish(prediction, 'canceled');
      }
      deployment.instanceUpAt = null;
      deployment.lastActiveAt = this.virtualNow;
    } else if (version !== previous.version || configuration.hardware !== previous.configuration.hardware) {
      // New instances boot for the new release (whether old ones drain first is UNCONFIRMED).
      deployment.instanceUpAt = configuration.min_instances > 0 || this.hasQueued(key) ? this.virtualNow + this.scenario.coldBootMs : null;
    } else if (configuration.min_instances > 0 && deployment.instanceUpAt === null) {
      deployment.instanceUpAt = this.virtualNow + this.scenario.coldBootMs;
    }
    return { status: 200, body: this.deploymentJson(deployment) };
  }

  private deleteDeployment(key: string): { status: number; body?: unknown } {
    const deployment = this.deploymentsByKey.get(key);
    if (!deployment) return problem(404, 'Not found', 'Deployment not found');
    const online = deployment.instanceUpAt !== null || deployment.release.configuration.min_instances > 0;
    if (online || this.virtualNow - deployment.lastActiveAt < DELETE_COOLDOWN_MS) {
      // Status and body of this refusal are UNCONFIRMED; the rule (offline and unused ≥ 15 min) is documented.
      return problem(409, 'Deployment cannot be deleted', 'Deployments can only be deleted after they have been offline and unused for at least 15 minutes.');
    }
    this.deploymentsByKey.delete(key);
    return { status: 204 };
  }

  private createPrediction(key: string, body: Record<string, unknown>, headers: Record<string, string>): { status: number; body?: unknown; headers?: Record<string, string> } {
    const deployment = this.deploymentsByKey.get(key);
    if (!deployment) return problem(404, 'Not found', 'Deployment not found');
    if (deployment.release.configuration.max_instances === 0) {
      // What Replicate answers for a disabled deployment is UNCONFIRMED.
      return problem(422, 'Deployment is disabled', 'This deployment has max_instances set to 0');
    }
    const input = (body['input'] ?? {}) as Record<string, unknown>;
    if (typeof input['prompt'] !== 'string') {
      return {
        status: 422,
        body: {
          title: 'Input validation failed',
          detail: '- input: prompt is required\n',
          status: 422,
          invalid_fields: [{ type: 'required', field: 'input', description: 'prompt is required' }],
        },
      };
    }
    const cancelAfter = headers['cancel-after'];
    const cancelAfterMs = cancelAfter === undefined ? null : parseDuration(cancelAfter);
    if (cancelAfter !== undefined && (cancelAfterMs === null || cancelAfterMs < 5_000)) {
      return problem(422, 'Invalid Cancel-After', 'Cancel-After must be a duration of at least 5 seconds');
    }
    this.predictionCounter += 1;
    const id = `fakepred${String(this.predictionCounter).padStart(6, '0')}`;
    const prediction: FakePrediction = {
      id,
      deployment: key,
      model: deployment.release.model,
      version: deployment.release.version,
      input,
      status: 'starting',
      plannedTokens: this.plan(input),
      output: null,
      error: null,
      createdAt: this.virtualNow,
      startedAt: null,
      completedAt: null,
      deadline: cancelAfterMs === null ? null : this.virtualNow + cancelAfterMs,
      failure: this.scenario.predictionFailure,
    };
    this.predictionsById.set(id, prediction);
    if (deployment.instanceUpAt === null) deployment.instanceUpAt = this.virtualNow + this.scenario.coldBootMs;
    this.refresh(prediction);
    return { status: 201, body: this.predictionJson(prediction), headers: { Location: `${this.baseUrl}/predictions/${id}` } };
  }

  private plan(input: Record<string, unknown>): string[] {
    const words = String(input['prompt']).match(/\S+/g) ?? [];
    const tokens = this.scenario.reply ?? ['Echo:', ...words.map((word) => ` ${word}`)];
    const limit = input['max_tokens'] ?? input['max_new_tokens'];
    return typeof limit === 'number' ? tokens.slice(0, Math.max(0, limit)) : tokens;
  }

  private hasQueued(key: string): boolean {
    return [...this.predictionsById.values()].some((prediction) => prediction.deployment === key && prediction.status === 'starting');
  }

  private refreshAll(): void {
    for (const prediction of this.predictionsById.values()) this.refresh(prediction);
    for (const [key, deployment] of this.deploymentsByKey) {
      const upAt = deployment.instanceUpAt;
      if (upAt === null || this.virtualNow < upAt || deployment.release.configuration.min_instances > 0 || this.hasUnfinished(key)) continue;
      // A scale-to-zero instance shuts down after idling; from then on it counts as offline.
      const shutdownAt = Math.max(deployment.lastActiveAt, upAt) + this.scenario.idleShutdownMs;
      if (this.virtualNow >= shutdownAt) {
        deployment.instanceUpAt = null;
        deployment.lastActiveAt = shutdownAt;
      }
    }
  }

  private hasUnfinished(key: string): boolean {
    return [...this.predictionsById.values()].some((prediction) => prediction.deployment === key && !isTerminal(prediction.status));
  }

  /** Starting → processing once an instance is up; an LLM here finishes instantly in virtual time. */
  private refresh(prediction: FakePrediction): void {
    if (isTerminal(prediction.status)) return;
    const deployment = this.deploymentsByKey.get(prediction.deployment);
    if (prediction.status === 'starting') {
      const upAt = deployment?.instanceUpAt ?? null;
      if (upAt === null || this.virtualNow < upAt) {
        if (prediction.deadline !== null && this.virtualNow >= prediction.deadline) this.finish(prediction, 'aborted');
        return;
      }
      prediction.status = 'processing';
      prediction.startedAt = Math.max(upAt, prediction.createdAt);
      prediction.output = [];
    }
    if (prediction.startedAt !== null && this.virtualNow < prediction.startedAt + this.scenario.generationMs) return;
    if (prediction.failure) {
      prediction.output = prediction.plannedTokens.slice(0, prediction.failure.afterTokens ?? 0);
      prediction.error = prediction.failure.message;
      this.finish(prediction, 'failed');
      return;
    }
    prediction.output = [...prediction.plannedTokens];
    this.finish(prediction, 'succeeded');
  }

  private finish(prediction: FakePrediction, status: FakePrediction['status']): void {
    prediction.status = status;
    prediction.completedAt = this.virtualNow;
    const deployment = this.deploymentsByKey.get(prediction.deployment);
    if (deployment) deployment.lastActiveAt = this.virtualNow;
  }

  private async stream(id: string, response: ServerResponse): Promise<void> {
    const prediction = this.predictionsById.get(id);
    if (!prediction) return this.sendJson(response, 404, problem(404, 'Not found', 'Prediction not found').body);
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    // Wait (in real time) for virtual time to boot an instance, as a client waits through a cold boot.
    while (prediction.status === 'starting' && !response.destroyed) {
      await sleep(5);
      this.refreshAll();
    }
    // While generating, the stream carries the planned tokens; `done` waits for the prediction to end.
    const tokens = prediction.status === 'processing' ? prediction.plannedTokens : (prediction.output ?? []);
    const cut = this.scenario.streamCut;
    for (const [index, token] of tokens.entries()) {
      if (cut && index >= cut.afterTokens) break;
      if (this.scenario.streamTokenDelayMs > 0) await sleep(this.scenario.streamTokenDelayMs);
      if (response.destroyed) return;
      const data = token.split('\n').map((line) => `data: ${line}`).join('\n');
      response.write(`event: output\nid: ${Math.floor(prediction.createdAt / 1000)}:${index}\n${data}\n\n`);
    }
    if (cut) {
      // Let the written events reach the client before the connection drops without `done`.
      await sleep(5);
      response.socket?.destroy();
      return;
    }
    while (!isTerminal(prediction.status) && !response.destroyed) {
      await sleep(5);
      this.refreshAll();
    }
    if (response.destroyed) return;
    if (prediction.status === 'failed') {
      response.write(`event: error\ndata: ${JSON.stringify({ detail: prediction.error ?? 'Something went wrong' })}\n\n`);
      response.end(`event: done\ndata: {"reason":"error"}\n\n`);
      return;
    }
    if (prediction.status === 'canceled' || prediction.status === 'aborted') {
      response.end(`event: done\ndata: {"reason":"canceled"}\n\n`);
      return;
    }
    response.end(`event: done\ndata: {}\n\n`);
  }

  private deploymentJson(deployment: FakeDeployment): Record<string, unknown> {
    return {
      owner: deployment.owner,
      name: deployment.name,
      current_release: {
        ...deployment.release,
        created_by: { type: 'organization', username: this.owner, name: 'Acme Corp', github_url: 'https://github.com/acme' },
      },
    };
  }

  private predictionJson(prediction: FakePrediction): Record<string, unknown> {
    const iso = (at: number | null): string | undefined => (at === null ? undefined : new Date(at).toISOString());
    const terminal = isTerminal(prediction.status);
    const outputTokens = prediction.output?.length ?? 0;
    const predictSeconds = prediction.startedAt === null || prediction.completedAt === null ? undefined : Math.max(0.05 * outputTokens, 0.01);
    const metrics: Record<string, number> = {};
    if (terminal && predictSeconds !== undefined && prediction.startedAt !== null) {
      metrics['predict_time'] = predictSeconds;
      metrics['total_time'] = (prediction.startedAt - prediction.createdAt) / 1000 + predictSeconds;
      if (!this.scenario.omitTokenMetrics) {
        metrics['input_token_count'] = countWords(prediction.input['prompt']) + countWords(prediction.input['system_prompt']);
        metrics['output_token_count'] = outputTokens;
        metrics['time_to_first_token'] = 0.02;
        metrics['tokens_per_second'] = 20;
      }
    }
    const urls: Record<string, string> = {
      get: `${this.baseUrl}/predictions/${prediction.id}`,
      cancel: `${this.baseUrl}/predictions/${prediction.id}/cancel`,
      web: `https://replicate.com/p/${prediction.id}`,
    };
    if (this.scenario.streamable) urls['stream'] = `${this.origin}/streaming/v1/predictions/${prediction.id}`;
    return {
      id: prediction.id,
      model: prediction.model,
      version: prediction.version,
      deployment: prediction.deployment,
      input: prediction.input,
      output: prediction.output,
      logs: '',
      error: prediction.error,
      status: prediction.status,
      source: 'api',
      data_removed: false,
      created_at: iso(prediction.createdAt),
      ...(prediction.startedAt === null ? {} : { started_at: iso(prediction.startedAt) }),
      ...(prediction.completedAt === null ? {} : { completed_at: iso(prediction.completedAt) }),
      ...(prediction.deadline === null ? {} : { deadline: iso(prediction.deadline) }),
      ...(terminal ? { metrics } : {}),
      urls,
    };
  }

  private sendJson(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': status >= 400 && typeof body === 'object' && body !== null && 'title' in body ? 'application/problem+json' : 'application/json',
    });
    response.end(text);
  }
}

/** Starts a fake; close it in afterEach/afterAll. */
export async function startReplicateFake(options: ReplicateFakeOptions = {}): Promise<ReplicateFake> {
  return new ReplicateFake(options).start();
}

function isTerminal(status: FakePrediction['status']): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled' || status === 'aborted';
}

function stringHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
  return headers;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
