import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadTogetherContract, togetherOperations, type TogetherContractValidator, type TogetherOperation } from './together-openapi.js';

/**
 * A fake Together AI API (v1) on 127.0.0.1:0 for connector tests. It keeps endpoints, upload jobs and
 * uploaded adapters in memory; their states move with a virtual clock (`advance(ms)`), never with wall
 * time, so tests are fast and deterministic. Every request is checked against together-openapi.yaml and
 * refused with a 400 naming the violation when it does not match. Scenario switches inject the faults a
 * real provider produces: 429 with Retry-After, 5xx bursts, hangs, malformed bodies, provider failures
 * with a message, streams cut mid-way.
 */

export type FakeEndpointState = 'PENDING' | 'STARTING' | 'STARTED' | 'STOPPING' | 'STOPPED' | 'ERROR';

export interface FakeEndpoint {
  id: string;
  name: string;
  display_name: string;
  model: string;
  hardware: string;
  owner: string;
  type: 'dedicated' | 'serverless';
  autoscaling: { min_replicas: number; max_replicas: number };
  inactive_timeout: number | null;
  disable_speculative_decoding: boolean;
  availability_zone: string | null;
  created_at: string;
  /** State timeline: the current state is the last entry whose `from` is not in the future. */
  timeline: { state: FakeEndpointState; from: number }[];
}

export interface FakeJob {
  job_id: string;
  modelName: string;
  modelSource: string;
  description: string;
  created: number;
  /** When set, the job ends Failed with this message instead of Complete. */
  failWith: string | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Lower-case header names; the Authorization value is replaced by `[redacted]`. */
  headers: Record<string, string>;
}

/**
 * What the fake does instead of answering normally. `commit: true` carries the request out first and then
 * fails the answer: the lost-response case that tempts clients into a duplicate create.
 * `cut-stream` drops the connection after N SSE chunks; `stream-error` sends Together's in-band error payload.
 */
export type FakeFault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string>; commit?: boolean }
  | { kind: 'hang'; commit?: boolean }
  | { kind: 'malformed'; commit?: boolean }
  | { kind: 'cut-stream'; afterChunks: number }
  | { kind: 'stream-error'; afterChunks: number; message: string };

export interface FaultRule {
  method?: string;
  /** Exact path under /v1 (e.g. `/endpoints`) or a pattern over it. */
  path?: string | RegExp;
  /** How many matching requests this applies to. */
  times: number;
  fault: FakeFault;
}

export interface TogetherFakeOptions {
  apiKey?: string;
  owner?: string;
  /** Milliseconds of virtual time in PENDING, STARTING and STOPPING. */
  pendingMs?: number;
  startingMs?: number;
  stoppingMs?: number;
  /** Milliseconds of virtual time an upload job spends Queued, then Running. */
  jobQueuedMs?: number;
  jobRunningMs?: number;
  /** Models the shared serverless fleet serves. */
  serverlessModels?: string[];
  replyText?: string;
  /** Real milliseconds between stream chunks (for abort and slow-stream tests). */
  streamDelayMs?: number;
  finishReason?: 'stop' | 'eos' | 'length';
}

export interface TogetherFake {
  /** `http://127.0.0.1:<port>/v1`: what the connector takes as `settings.baseUrl`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly requests: RecordedRequest[];
  /** Virtual milliseconds since start. */
  now(): number;
  advance(ms: number): void;
  endpoints(): (FakeEndpoint & { state: FakeEndpointState })[];
  jobs(): (FakeJob & { status: string })[];
  /** Adds an endpoint someone else (or an earlier run) created. */
  seedEndpoint(fields: Partial<FakeEndpoint> & { model: string; display_name: string }): FakeEndpoint;
  /** The endpoint goes to ERROR (at once, or after `afterMs` of virtual time). */
  failEndpoint(id: string, afterMs?: number): void;
  /** Puts the endpoint in any state word at once, including ones the spec does not list. */
  forceState(id: string, state: string): void;
  /** Together forgets finished jobs; their registered models stay. */
  expireJobs(): void;
  /** Upload jobs created from now on end Failed with this message. */
  failUploads(message: string | null): void;
  /** Marks hardware availability for `?model=` queries. */
  setHardwareAvailability(hardwareId: string, status: 'available' | 'unavailable' | 'insufficient'): void;
  inject(rule: FaultRule): void;
  rateLimit(times: number, retryAfterSeconds: number, match?: Pick<FaultRule, 'method' | 'path'>): void;
  serverErrors(times: number, status?: number, match?: Pick<FaultRule, 'method' | 'path'>): void;
  setReply(text: string, finishReason?: 'stop' | 'eos' | 'length'): void;
  /** Real milliseconds between stream chunks from now on. */
  setStreamDelay(ms: number): void;
  close(): Promise<void>;
}

export const fakeHardware = [
  { id: '1x_nvidia_h100_80gb_sxm', cents: 6.65, gpu_type: 'h100-80gb', memory: 80, count: 1 },
  { id: '2x_nvidia_h100_80gb_sxm', cents: 13.3, gpu_type: 'h100-80gb', memory: 80, count: 2 },
  { id: '1x_nvidia_h200_140gb_sxm', cents: 9.15, gpu_type: 'h200-140gb', memory: 140, count: 1 },
  { id: '8x_nvidia_h200_140gb_sxm', cents: 73.2, gpu_type: 'h200-140gb', memory: 140, count: 8 },
];

/** Starts a fake on an ephemeral port. Close it in afterEach/afterAll. */
export async function startTogetherFake(options: TogetherFakeOptions = {}): Promise<TogetherFake> {
  const contract = await loadTogetherContract();
  const state = new FakeState(options, contract);
  const server = createServer((request, response) => {
    state.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, errorBody(`fake crashed: ${String(error)}`, 'server_error'));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return state.facade(`http://127.0.0.1:${port}/v1`, server);
}

type Reply = { status: number; body?: unknown } | { events: unknown[] };

const json = (status: number, body: unknown): Reply => ({ status, body });

class FakeState {
  readonly apiKey: string;
  readonly owner: string;
  readonly requests: RecordedRequest[] = [];
  private clock = 0;
  private readonly endpointsById = new Map<string, FakeEndpoint>();
  private readonly jobsById = new Map<string, FakeJob>();
  private readonly faults: FaultRule[] = [];
  private readonly availability = new Map<string, 'available' | 'unavailable' | 'insufficient'>();
  private readonly hanging = new Set<ServerResponse>();
  private uploadFailure: string | null = null;
  /** Registered models whose upload job is no longer listed. */
  private readonly retiredModels = new Set<string>();
  private readonly serverless: string[];
  private streamDelayMs: number;
  private replyText: string;
  private finishReason: 'stop' | 'eos' | 'length';

  constructor(
    private readonly options: TogetherFakeOptions,
    private readonly contract: TogetherContractValidator,
  ) {
    this.apiKey = options.apiKey ?? 'tg-fake-key-0123456789';
    this.owner = options.owner ?? 'fakeuser';
    this.serverless = options.serverlessModels ?? [
      'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
      'Qwen/Qwen3.5-9B',
    ];
    this.streamDelayMs = options.streamDelayMs ?? 0;
    this.replyText = options.replyText ?? 'Hello from the Together fake.';
    this.finishReason = options.finishReason ?? 'eos';
  }

  facade(baseUrl: string, server: Server): TogetherFake {
    return {
      baseUrl,
      apiKey: this.apiKey,
      requests: this.requests,
      now: () => this.clock,
      advance: (ms) => {
        this.clock += ms;
      },
      endpoints: () => [...this.endpointsById.values()].map((endpoint) => ({ ...endpoint, state: this.stateOf(endpoint) })),
      jobs: () => [...this.jobsById.values()].map((job) => ({ ...job, status: this.jobStatus(job) })),
      seedEndpoint: (fields) => {
        const endpoint = this.createEndpoint({
          model: fields.model,
          hardware: fields.hardware ?? '1x_nvidia_h100_80gb_sxm',
          autoscaling: fields.autoscaling ?? { min_replicas: 1, max_replicas: 1 },
          display_name: fields.display_name,
        });
        Object.assign(endpoint, fields, { id: endpoint.id });
        return endpoint;
      },
      failEndpoint: (id, afterMs = 0) => {
        const endpoint = this.endpointsById.get(id);
        if (!endpoint) throw new Error(`no endpoint ${id}`);
        endpoint.timeline.push({ state: 'ERROR', from: this.clock + afterMs });
      },
      forceState: (id, state) => {
        const endpoint = this.endpointsById.get(id);
        if (!endpoint) throw new Error(`no endpoint ${id}`);
        endpoint.timeline = [{ state: state as FakeEndpointState, from: this.clock }];
      },
      expireJobs: () => {
        for (const job of [...this.jobsById.values()]) {
          if (this.jobStatus(job) === 'Complete') this.retiredModels.add(job.modelName);
          this.jobsById.delete(job.job_id);
        }
      },
      failUploads: (message) => {
        this.uploadFailure = message;
      },
      setHardwareAvailability: (id, status) => {
        this.availability.set(id, status);
      },
      inject: (rule) => {
        this.faults.push({ ...rule });
      },
      rateLimit: (times, retryAfterSeconds, match = {}) => {
        this.faults.push({
          ...match,
          times,
          fault: {
            kind: 'status',
            status: 429,
            headers: { 'retry-after': String(retryAfterSeconds) },
            body: errorBody('You have been rate limited: dynamic request limit reached', 'dynamic_request_limited'),
          },
        });
      },
      serverErrors: (times, status = 503, match = {}) => {
        this.faults.push({
          ...match,
          times,
          fault: { kind: 'status', status, body: errorBody('The server is overloaded, please try again later', 'server_error') },
        });
      },
      setReply: (text, finishReason) => {
        this.replyText = text;
        if (finishReason) this.finishReason = finishReason;
      },
      setStreamDelay: (ms) => {
        this.streamDelayMs = ms;
      },
      close: async () => {
        for (const response of this.hanging) response.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = (request.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(request);
    const query = Object.fromEntries(url.searchParams.entries());
    let body: unknown = undefined;
    let bodyIsJson = true;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        bodyIsJson = false;
        body = rawBody;
      }
    }
    this.requests.push({ method, path: url.pathname, query, body, headers: recordedHeaders(request) });

    if (request.headers.authorization !== `Bearer ${this.apiKey}`) {
      return sendJson(response, 401, errorBody('Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.', 'invalid_request_error', 'invalid_api_key'));
    }
    if (!url.pathname.startsWith('/v1/')) return sendJson(response, 404, errorBody(`unknown path ${url.pathname}`, 'invalid_request_error'));
    const path = url.pathname.slice(3);
    const route = matchRoute(method, path);
    if (route === null) return sendJson(response, 404, errorBody(`no route for ${method} ${path}`, 'invalid_request_error'));
    if (!bodyIsJson) return sendJson(response, 400, errorBody('request body is not valid JSON', 'invalid_request_error'));
    const violation = this.contract.checkRequest(route.operation, query, body);
    if (violation !== null) return sendJson(response, 400, errorBody(`request does not match the OpenAPI contract: ${violation}`, 'invalid_request_error'));

    const fault = this.takeFault(method, path);
    if (fault && (fault.kind === 'status' || fault.kind === 'hang' || fault.kind === 'malformed')) {
      // `commit`: the provider did the work, then the answer was lost (the duplicate-create trap).
      if (fault.commit) this.dispatch(route, query, body);
      if (fault.kind === 'hang') {
        this.hanging.add(response);
        response.on('close', () => this.hanging.delete(response));
        return;
      }
      if (fault.kind === 'malformed') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"object": "endpoint", "id": ');
        return;
      }
      return sendJson(response, fault.status, fault.body ?? errorBody(`injected ${fault.status}`, 'server_error'), fault.headers);
    }
    const reply = this.dispatch(route, query, body);
    if ('events' in reply) return this.stream(response, reply.events, fault);
    if (reply.body === undefined) {
      response.writeHead(reply.status).end();
      return;
    }
    sendJson(response, reply.status, reply.body);
  }

  private dispatch(route: Route, query: Record<string, string>, body: unknown): Reply {
    const input = (body ?? {}) as Record<string, unknown>;
    switch (`${route.operation.method} ${route.operation.path}`) {
      case 'GET /endpoints':
        return this.listEndpoints(query);
      case 'POST /endpoints':
        return this.postEndpoint(input);
      case 'GET /endpoints/{endpointId}':
        return this.withEndpoint(route.id, (endpoint) => json(200, this.endpointJson(endpoint)));
      case 'PATCH /endpoints/{endpointId}':
        return this.withEndpoint(route.id, (endpoint) => this.patchEndpoint(endpoint, input));
      case 'DELETE /endpoints/{endpointId}':
        return this.withEndpoint(route.id, (endpoint) => {
          this.endpointsById.delete(endpoint.id);
          return { status: 204 };
        });
      case 'GET /hardware':
        return this.listHardware(query);
      case 'GET /models':
        return this.listModels();
      case 'POST /models':
        return this.uploadModel(input);
      case 'GET /jobs':
        return json(200, { data: [...this.jobsById.values()].map((job) => this.jobJson(job)) });
      case 'GET /jobs/{jobId}': {
        const job = this.jobsById.get(route.id ?? '');
        return job ? json(200, this.jobJson(job)) : json(404, errorBody(`Job ${route.id} not found`, 'invalid_request_error'));
      }
      case 'POST /chat/completions':
        return this.complete(input, 'chat');
      case 'POST /completions':
        return this.complete(input, 'text');
      default:
        return json(404, errorBody('not served by the fake', 'invalid_request_error'));
    }
  }

  /** Writes SSE events one by one, each flushed before the next, so a cut lands exactly where asked. */
  private async stream(response: ServerResponse, events: unknown[], fault: FakeFault | null): Promise<void> {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [index, event] of events.entries()) {
      if (fault?.kind === 'cut-stream' && index === fault.afterChunks) {
        response.socket?.destroy();
        return;
      }
      if (fault?.kind === 'stream-error' && index === fault.afterChunks) {
        await write(response, `data: ${JSON.stringify(errorBody(fault.message, 'server_error'))}\n\n`);
        response.end();
        return;
      }
      if (response.destroyed) return;
      await write(response, `data: ${JSON.stringify(event)}\n\n`);
      if (this.streamDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.streamDelayMs));
    }
    response.end('data: [DONE]\n\n');
  }

  private takeFault(method: string, path: string): FakeFault | null {
    const index = this.faults.findIndex(
      (rule) =>
        rule.times > 0 &&
        (rule.method === undefined || rule.method.toUpperCase() === method) &&
        (rule.path === undefined || (typeof rule.path === 'string' ? rule.path === path : rule.path.test(path))),
    );
    const rule = this.faults[index];
    if (rule === undefined) return null;
    rule.times -= 1;
    if (rule.times <= 0) this.faults.splice(index, 1);
    return rule.fault;
  }

  // ---- endpoints ----

  private createEndpoint(input: {
    model: string;
    hardware: string;
    autoscaling: { min_replicas: number; max_replicas: number };
    display_name?: string | undefined;
    state?: string;
    inactive_timeout?: number | null;
    disable_speculative_decoding?: boolean;
    availability_zone?: string;
  }): FakeEndpoint {
    const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
    const name = `${this.owner}/${input.model}-${suffix}`;
    const pending = this.options.pendingMs ?? 1_000;
    const starting = this.options.startingMs ?? 4_000;
    const timeline: FakeEndpoint['timeline'] =
      input.state === 'STOPPED'
        ? [{ state: 'STOPPED', from: this.clock }]
        : [
            { state: 'PENDING', from: this.clock },
            { state: 'STARTING', from: this.clock + pending },
            { state: 'STARTED', from: this.clock + pending + starting },
          ];
    const endpoint: FakeEndpoint = {
      id: `endpoint-${randomUUID()}`,
      name,
      display_name: input.display_name ?? name,
      model: input.model,
      hardware: input.hardware,
      owner: this.owner,
      type: 'dedicated',
      autoscaling: { min_replicas: input.autoscaling.min_replicas, max_replicas: input.autoscaling.max_replicas },
      inactive_timeout: input.inactive_timeout ?? null,
      disable_speculative_decoding: input.disable_speculative_decoding ?? false,
      availability_zone: input.availability_zone ?? null,
      created_at: new Date(Date.UTC(2026, 0, 1) + this.clock).toISOString(),
      timeline,
    };
    this.endpointsById.set(endpoint.id, endpoint);
    return endpoint;
  }

  private postEndpoint(input: Record<string, unknown>): Reply {
    const autoscaling = input['autoscaling'] as { min_replicas: number; max_replicas: number };
    if (autoscaling.min_replicas < 0 || autoscaling.min_replicas > autoscaling.max_replicas) {
      return json(400, errorBody('min_replicas must be between 0 and max_replicas', 'invalid_request_error'));
    }
    const hardware = String(input['hardware']);
    if (!fakeHardware.some((option) => option.id === hardware)) {
      return json(400, errorBody(`Hardware ${hardware} is not supported for this model`, 'invalid_request_error', 'invalid_hardware'));
    }
    const endpoint = this.createEndpoint(input as Parameters<FakeState['createEndpoint']>[0]);
    return json(200, this.endpointJson(endpoint));
  }

  private patchEndpoint(endpoint: FakeEndpoint, input: Record<string, unknown>): Reply {
    const autoscaling = input['autoscaling'] as { min_replicas: number; max_replicas: number } | undefined;
    if (autoscaling) {
      if (autoscaling.min_replicas < 0 || autoscaling.min_replicas > autoscaling.max_replicas) {
        return json(400, errorBody('min_replicas must be between 0 and max_replicas', 'invalid_request_error'));
      }
      endpoint.autoscaling = { min_replicas: autoscaling.min_replicas, max_replicas: autoscaling.max_replicas };
    }
    if (typeof input['display_name'] === 'string') endpoint.display_name = input['display_name'];
    if (input['inactive_timeout'] !== undefined) endpoint.inactive_timeout = input['inactive_timeout'] as number | null;
    const current = this.stateOf(endpoint);
    if (input['state'] === 'STOPPED' && current !== 'STOPPED' && current !== 'STOPPING') {
      endpoint.timeline = [
        { state: 'STOPPING', from: this.clock },
        { state: 'STOPPED', from: this.clock + (this.options.stoppingMs ?? 1_000) },
      ];
    }
    if (input['state'] === 'STARTED' && (current === 'STOPPED' || current === 'STOPPING' || current === 'ERROR')) {
      endpoint.timeline = [
        { state: 'STARTING', from: this.clock },
        { state: 'STARTED', from: this.clock + (this.options.startingMs ?? 4_000) },
      ];
    }
    return json(200, this.endpointJson(endpoint));
  }

  private withEndpoint(id: string | undefined, then: (endpoint: FakeEndpoint) => Reply): Reply {
    const endpoint = this.endpointsById.get(id ?? '');
    return endpoint ? then(endpoint) : json(404, errorBody(`Endpoint ${id} not found`, 'invalid_request_error', 'not_found'));
  }

  private listEndpoints(query: Record<string, string>): Reply {
    const serverless = this.serverless.map((model, index) => ({
      object: 'endpoint',
      id: `endpoint-serverless-${index}`,
      name: model,
      model,
      type: 'serverless',
      owner: 'together',
      state: 'STARTED',
      created_at: '2024-02-28T21:34:35.444Z',
    }));
    const dedicated = [...this.endpointsById.values()].map((endpoint) => ({
      object: 'endpoint',
      id: endpoint.id,
      name: endpoint.name,
      model: endpoint.model,
      type: endpoint.type,
      owner: endpoint.owner,
      state: this.stateOf(endpoint),
      created_at: endpoint.created_at,
    }));
    const all = [...serverless, ...dedicated].filter(
      (item) => (query['type'] === undefined || item.type === query['type']) && (query['mine'] !== 'true' || item.owner === this.owner),
    );
    return json(200, { object: 'list', data: all });
  }

  private endpointJson(endpoint: FakeEndpoint): Record<string, unknown> {
    return {
      object: 'endpoint',
      id: endpoint.id,
      name: endpoint.name,
      display_name: endpoint.display_name,
      model: endpoint.model,
      hardware: endpoint.hardware,
      type: endpoint.type,
      owner: endpoint.owner,
      state: this.stateOf(endpoint),
      autoscaling: endpoint.autoscaling,
      created_at: endpoint.created_at,
    };
  }

  private stateOf(endpoint: FakeEndpoint): FakeEndpointState {
    let current: FakeEndpointState = 'PENDING';
    for (const step of endpoint.timeline) if (step.from <= this.clock) current = step.state;
    return current;
  }

  // ---- hardware and models ----

  private listHardware(query: Record<string, string>): Reply {
    const data = fakeHardware.map((option) => ({
      object: 'hardware',
      id: option.id,
      pricing: { cents_per_minute: option.cents },
      specs: { gpu_type: option.gpu_type, gpu_link: 'sxm', gpu_memory: option.memory, gpu_count: option.count },
      ...(query['model'] === undefined ? {} : { availability: { status: this.availability.get(option.id) ?? 'available' } }),
      updated_at: '2026-01-01T00:00:00Z',
    }));
    return json(200, { object: 'list', data });
  }

  private listModels(): Reply {
    const uploaded = [...this.jobsById.values()].filter((job) => this.jobStatus(job) === 'Complete').map((job) => job.modelName);
    const models = [
      ...this.serverless.map((id) => ({ id, object: 'model', created: 1_700_000_000, type: 'chat', display_name: id })),
      ...[...uploaded, ...this.retiredModels].map((id) => ({ id, object: 'model', created: 1_700_000_000, type: 'chat' })),
    ];
    return json(200, models);
  }

  private uploadModel(input: Record<string, unknown>): Reply {
    const modelName = `${this.owner}/${String(input['model_name'])}`;
    if (this.retiredModels.has(modelName) || [...this.jobsById.values()].some((job) => job.modelName === modelName)) {
      return json(400, errorBody('Model name already exists', 'invalid_request_error'));
    }
    if (input['model_type'] === 'adapter' && typeof input['base_model'] === 'string' && !this.serverless.includes(input['base_model'])) {
      return json(400, errorBody(`Base model ${input['base_model']} does not support serverless LoRA`, 'invalid_request_error'));
    }
    const job: FakeJob = {
      job_id: `job-${randomUUID()}`,
      modelName,
      modelSource: String(input['model_source']),
      description: typeof input['description'] === 'string' ? input['description'] : '',
      created: this.clock,
      failWith: this.uploadFailure,
    };
    this.jobsById.set(job.job_id, job);
    return json(200, {
      data: { job_id: job.job_id, model_name: modelName, model_id: `model-${randomUUID()}`, model_source: 'huggingface' },
      message: 'Processing model weights. Job created.',
    });
  }

  private jobStatus(job: FakeJob): 'Queued' | 'Running' | 'Complete' | 'Failed' {
    const elapsed = this.clock - job.created;
    const queued = this.options.jobQueuedMs ?? 1_000;
    const running = this.options.jobRunningMs ?? 3_000;
    if (elapsed < queued) return 'Queued';
    if (elapsed < queued + running) return 'Running';
    return job.failWith === null ? 'Complete' : 'Failed';
  }

  private jobJson(job: FakeJob): Record<string, unknown> {
    const status = this.jobStatus(job);
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const message = status === 'Failed' ? (job.failWith ?? 'Job failed') : `Job is ${status}`;
    return {
      type: 'adapter_upload',
      job_id: job.job_id,
      status,
      status_updates: [{ status, message, timestamp: at(this.clock) }],
      args: { description: job.description, modelName: job.modelName, modelSource: job.modelSource },
      created_at: at(job.created),
      updated_at: at(this.clock),
    };
  }

  // ---- inference ----

  private complete(input: Record<string, unknown>, kind: 'chat' | 'text'): Reply {
    const model = String(input['model']);
    const refusal = this.modelRefusal(model);
    if (refusal) return refusal;

    const words = this.replyText.split(/(?=\s)/).filter((word) => word.length > 0);
    const maxTokens = typeof input['max_tokens'] === 'number' ? input['max_tokens'] : Number.POSITIVE_INFINITY;
    const tokens = words.slice(0, maxTokens);
    const finishReason = tokens.length < words.length ? 'length' : this.finishReason;
    const promptText =
      kind === 'chat'
        ? (input['messages'] as { content?: unknown }[]).map((message) => (typeof message.content === 'string' ? message.content : '')).join(' ')
        : String(input['prompt']);
    const promptTokens = promptText.split(/\s+/).filter(Boolean).length + 3;
    const usage = { prompt_tokens: promptTokens, completion_tokens: tokens.length, total_tokens: promptTokens + tokens.length };
    const id = `fake-${randomUUID().slice(0, 8)}`;
    const created = 1_767_225_600 + Math.floor(this.clock / 1000);

    if (input['stream'] !== true) {
      const text = tokens.join('');
      const choice =
        kind === 'chat'
          ? { index: 0, finish_reason: finishReason, message: { role: 'assistant', content: text, tool_calls: [] } }
          : { index: 0, text, finish_reason: finishReason };
      return json(200, { id, object: kind === 'chat' ? 'chat.completion' : 'text.completion', created, model, prompt: [], choices: [choice], usage });
    }

    // Usage rides on the last content chunk, the one carrying finish_reason (as observed from Together).
    const events = tokens.map((token, index) => {
      const last = index === tokens.length - 1;
      return kind === 'chat'
        ? {
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [
              { index: 0, delta: { role: 'assistant', content: token, token_id: 1000 + index }, finish_reason: last ? finishReason : null, logprobs: null, seed: null },
            ],
            usage: last ? usage : null,
          }
        : {
            id,
            object: 'completion.chunk',
            created,
            model,
            token: { id: 1000 + index, text: token, logprob: 0, special: false },
            choices: [{ index: 0, text: token, finish_reason: last ? finishReason : null }],
            finish_reason: last ? finishReason : null,
            usage: last ? usage : null,
            seed: null,
          };
    });
    return { events };
  }

  private modelRefusal(model: string): Reply | null {
    if (this.serverless.includes(model)) return null;
    const endpoint = [...this.endpointsById.values()].find((candidate) => candidate.name === model);
    if (endpoint) {
      return this.stateOf(endpoint) === 'STARTED'
        ? null
        : json(400, errorBody(`Endpoint ${model} is not running`, 'invalid_request_error', 'dedicated_endpoint_not_running'));
    }
    const job = [...this.jobsById.values()].find((candidate) => candidate.modelName === model);
    if ((job && this.jobStatus(job) === 'Complete') || this.retiredModels.has(model)) return null;
    return json(
      404,
      errorBody(`Unable to access model ${model}. Please visit https://api.together.ai/models to view the list of supported models.`, 'invalid_request_error', 'model_not_available'),
    );
  }
}

interface Route {
  operation: TogetherOperation;
  id?: string;
}

function matchRoute(method: string, path: string): Route | null {
  for (const operation of togetherOperations) {
    if (operation.method !== method) continue;
    const pattern = new RegExp(`^${operation.path.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
    const match = pattern.exec(path);
    if (match) {
      const id = match[1];
      return id === undefined ? { operation } : { operation, id: decodeURIComponent(id) };
    }
  }
  return null;
}

function errorBody(message: string, type: string, code: string | null = null): Record<string, unknown> {
  return { id: `req-${randomUUID().slice(0, 8)}`, error: { message, type, param: null, code } };
}

function write(response: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    if (!response.write(data)) response.once('drain', () => resolve());
    else setImmediate(resolve);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function recordedHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = name === 'authorization' ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
