import type { z } from 'zod';
import type {
  DeploymentEventSchema,
  DeploymentSchema,
  EndpointTestResultSchema,
  MetricsSchema,
  PlatformSchema,
} from '../api/schemas.js';
import { CliError, type CliIssue } from './cli-error.js';
import { readServerSentEvents } from './sse.js';

/** API shapes, inferred from the server's own response schemas so the CLI cannot drift from them. */
export type DeploymentView = z.infer<typeof DeploymentSchema>;
export type DeploymentEventView = z.infer<typeof DeploymentEventSchema>;
export type EndpointTestResultView = z.infer<typeof EndpointTestResultSchema>;
export type MetricsView = z.infer<typeof MetricsSchema>;
export type PlatformView = z.infer<typeof PlatformSchema>;

/** A named route (`/api/routes`). Only `name` is relied on; the rest is shown and sent as is. */
export interface RouteView {
  name: string;
  [field: string]: unknown;
}

/** An API token as listed (`/api/tokens`); the secret is only ever in the create answer. */
export interface ApiTokenView {
  id: string;
  name: string;
  role: string;
  [field: string]: unknown;
}

/** A budget with its spend this period (`/api/budgets`). */
export interface BudgetView {
  id: string;
  scope: string;
  target: string;
  period: string;
  limitUsd: number;
  action: string;
  [field: string]: unknown;
}

export interface CreatedApiToken {
  token: ApiTokenView;
  secret: string;
}

export interface TestRequestBody {
  prompt: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  adapter?: string | null;
  timeoutMs?: number;
}

export interface ApiClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080` (a trailing `/` or `/api` is tolerated). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  fetch?: typeof fetch;
  /** Per-request timeout for ordinary calls (streams are not cut). Default 30 s. */
  requestTimeoutMs?: number;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * A typed client of the REST API. Every failure is a CliError: problem+json answers keep the server's
 * `code` and issues; an unreachable server is `connection_failed` with a hint to start one.
 */
export function createApiClient(options: ApiClientOptions) {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;

  async function send(method: string, path: string, body: unknown, init: { stream?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: init.stream ? 'text/event-stream, application/problem+json' : 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    try {
      return await fetchImpl(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(init.stream ? {} : { signal: AbortSignal.timeout(requestTimeoutMs) }),
      });
    } catch (error) {
      throw connectionError(error, baseUrl, requestTimeoutMs);
    }
  }

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await send(method, path, body);
    const text = await response.text().catch((error: unknown) => {
      throw connectionError(error, baseUrl, requestTimeoutMs);
    });
    if (!response.ok) throw problemError(response, text, method, path);
    if (response.status === 204 || text === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError('internal_error', `the server at ${baseUrl} answered ${method} ${path} with something that is not JSON; is MODELPORT_URL pointing at modelport?`);
    }
  }

  const deploymentPath = (reference: string) => `/api/deployments/${encodeURIComponent(reference)}`;

  return {
    baseUrl,

    /** Every deployment (all pages), newest first. */
    async listDeployments(filter: { status?: string; platform?: string } = {}): Promise<DeploymentView[]> {
      const all: DeploymentView[] = [];
      let before: string | null = null;
      do {
        const query = new URLSearchParams({ limit: '1000' });
        if (filter.status) query.set('status', filter.status);
        if (filter.platform) query.set('platform', filter.platform);
        if (before) query.set('before', before);
        const page: { items: DeploymentView[]; nextBefore: string | null } = await request('GET', `/api/deployments?${query}`);
        all.push(...page.items);
        before = page.nextBefore;
      } while (before);
      return all;
    },
    getDeployment: (reference: string) => request<DeploymentView>('GET', deploymentPath(reference)),
    /** Like getDeployment, but a deployment that does not exist is null instead of an error. */
    async findDeployment(reference: string): Promise<DeploymentView | null> {
      try {
        return await request<DeploymentView>('GET', deploymentPath(reference));
      } catch (error) {
        if (error instanceof CliError && error.code === 'not_found') return null;
        throw error;
      }
    },
    createDeployment: (spec: unknown) => request<DeploymentView>('POST', '/api/deployments', spec),
    updateDeployment: (reference: string, changes: unknown) => request<DeploymentView>('PATCH', deploymentPath(reference), changes),
    deleteDeployment: (reference: string) => request<null>('DELETE', deploymentPath(reference)).then(() => undefined),
    deployDeployment: (reference: string) => request<DeploymentView>('POST', `${deploymentPath(reference)}/deploy`),
    stopDeployment: (reference: string) => request<DeploymentView>('POST', `${deploymentPath(reference)}/stop`),
    async deploymentEvents(reference: string, limit = 20): Promise<DeploymentEventView[]> {
      const page = await request<{ items: DeploymentEventView[] }>('GET', `${deploymentPath(reference)}/events?limit=${limit}`);
      return page.items;
    },
    metrics: (reference: string, window: string) => request<MetricsView>('GET', `${deploymentPath(reference)}/metrics?window=${encodeURIComponent(window)}`),

    /**
     * Streams an endpoint test: `onDelta` gets the text as it arrives; resolves with the final result
     * (which may be `success: false` — a failed inference is a result, not an error).
     */
    async testStream(reference: string, body: TestRequestBody, onDelta: (text: string) => void): Promise<EndpointTestResultView> {
      const path = `${deploymentPath(reference)}/test/stream`;
      const response = await send('POST', path, body, { stream: true });
      if (!response.ok) throw problemError(response, await response.text().catch(() => ''), 'POST', path);
      if (!response.body) throw new CliError('internal_error', 'the test stream ended before it started');
      try {
        for await (const event of readServerSentEvents(response.body)) {
          const data = parseJson(event.data);
          if (event.event === 'delta' && isRecord(data) && typeof data['text'] === 'string') onDelta(data['text']);
          else if (event.event === 'result' && isRecord(data)) return data as EndpointTestResultView;
          else if (event.event === 'error') {
            const problem = isRecord(data) && isRecord(data['problem']) ? data['problem'] : data;
            throw problemFromBody(problem, undefined, 'the test failed');
          }
        }
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError('connection_failed', `the connection to ${baseUrl} broke off during the test`, { cause: error });
      }
      throw new CliError('internal_error', 'the test stream ended without a result');
    },

    async platforms(): Promise<PlatformView[]> {
      return (await request<{ items: PlatformView[] }>('GET', '/api/platforms')).items;
    },

    // Routes, tokens and budgets: thin on purpose, their API is young.
    listRoutes: async () => itemsOf<RouteView>(await request<unknown>('GET', '/api/routes')),
    getRoute: (name: string) => request<RouteView>('GET', `/api/routes/${encodeURIComponent(name)}`),
    createRoute: (route: Record<string, unknown>) => request<RouteView>('POST', '/api/routes', route),
    updateRoute: (name: string, changes: Record<string, unknown>) => request<RouteView>('PATCH', `/api/routes/${encodeURIComponent(name)}`, changes),
    deleteRoute: (name: string) => request<null>('DELETE', `/api/routes/${encodeURIComponent(name)}`).then(() => undefined),
    listTokens: async () => itemsOf<ApiTokenView>(await request<unknown>('GET', '/api/tokens')),
    createToken: (token: { name: string; role: string; [field: string]: unknown }) => request<CreatedApiToken>('POST', '/api/tokens', token),
    updateToken: (id: string, changes: Record<string, unknown>) => request<ApiTokenView>('PATCH', `/api/tokens/${encodeURIComponent(id)}`, changes),
    deleteToken: (id: string) => request<null>('DELETE', `/api/tokens/${encodeURIComponent(id)}`).then(() => undefined),
    listBudgets: async () => itemsOf<BudgetView>(await request<unknown>('GET', '/api/budgets')),
    createBudget: (budget: Record<string, unknown>) => request<BudgetView>('POST', '/api/budgets', budget),
    deleteBudget: (id: string) => request<null>('DELETE', `/api/budgets/${encodeURIComponent(id)}`).then(() => undefined),
  };
}

/** `http://host:8080/`, `http://host:8080/api` → `http://host:8080`. */
export function normalizeBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/api$/, '');
}

function itemsOf<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  if (isRecord(body) && Array.isArray(body['items'])) return body['items'] as T[];
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function problemError(response: Response, text: string, method: string, path: string): CliError {
  const body = parseJson(text);
  const error = problemFromBody(body, response.status, `${method} ${path} answered ${response.status} ${response.statusText}`.trim());
  // The server's catch-all 404 means the endpoint itself is missing, not the thing asked for.
  if (response.status === 404 && /^no route for /.test(error.message)) {
    return new CliError('not_found', `this server has no ${method} ${path.split('?')[0]} (an older modelport version?)`, { httpStatus: 404 });
  }
  return error;
}

/** problem+json → CliError; a body that is not one still gets a code from the HTTP status. */
export function problemFromBody(body: unknown, httpStatus: number | undefined, fallbackDetail: string): CliError {
  const problem = isRecord(body) ? body : {};
  const code = typeof problem['code'] === 'string' ? problem['code'] : codeForStatus(httpStatus);
  const detail =
    typeof problem['detail'] === 'string' && problem['detail'] !== ''
      ? problem['detail']
      : typeof problem['title'] === 'string'
        ? problem['title']
        : fallbackDetail;
  const issues: CliIssue[] = Array.isArray(problem['issues'])
    ? problem['issues'].filter(isRecord).map((issue) => ({ path: typeof issue['path'] === 'string' ? issue['path'] : '', message: typeof issue['message'] === 'string' ? issue['message'] : 'invalid' }))
    : [];
  return new CliError(code, detail, { issues, ...(httpStatus === undefined ? {} : { httpStatus }) });
}

function codeForStatus(status: number | undefined): string {
  switch (status) {
    case 400:
      return 'validation_failed';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 504:
      return 'timeout';
    default:
      return 'internal_error';
  }
}

/** fetch's TypeError("fetch failed") hides the reason in `cause`; say which URL and what to do. */
function connectionError(error: unknown, baseUrl: string, timeoutMs: number): CliError {
  if (error instanceof CliError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new CliError('timeout', `the modelport server at ${baseUrl} did not answer within ${Math.round(timeoutMs / 1000)} s`, { cause: error });
  }
  const cause = error instanceof Error && isRecord(error.cause) ? error.cause : {};
  const reason = typeof cause['code'] === 'string' ? cause['code'] : error instanceof Error ? error.message : String(error);
  return new CliError(
    'connection_failed',
    `cannot connect to the modelport server at ${baseUrl} (${reason}): start one with \`modelport serve\`, or point MODELPORT_URL (or --url) at a running server`,
    { cause: error },
  );
}
