import { PlatformApiError, PlatformNotConfiguredError } from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';
import { createProviderHttp, type ProviderHttp } from '../http/provider-http.js';
import { parseProviderMessage } from '../http/provider-message.js';
import {
  ReplicateAccountSchema,
  ReplicateDeploymentSchema,
  ReplicateHardwareListSchema,
  ReplicateModelSchema,
  ReplicatePredictionSchema,
  type ReplicateDeployment,
  type ReplicateDeploymentCreateBody,
  type ReplicateDeploymentUpdateBody,
  type ReplicateHardwareItem,
  type ReplicatePrediction,
  type ReplicatePredictionCreateBody,
} from './replicate-api.js';

/**
 * Typed Replicate operations over the shared provider HTTP client. One instance per connector call:
 * it carries that call's context (credentials, signal). Creates are sent with `retry: 'never'`:
 * repeating a POST on Replicate bills twice (a prediction) or collides (a deployment); callers check
 * before repeating.
 */

export const REPLICATE_PLATFORM = 'replicate';
export const REPLICATE_TOKEN_NAME = 'REPLICATE_API_TOKEN';
export const REPLICATE_DEFAULT_BASE_URL = 'https://api.replicate.com/v1';

/** Statuses a DELETE may answer when Replicate refuses to delete yet (the exact one is UNCONFIRMED). */
const deleteRefusalStatuses = [400, 403, 409, 412, 422, 423];

export type DeleteOutcome = { kind: 'deleted' } | { kind: 'gone' } | { kind: 'refused'; status: number; message: string };

export interface ReplicateClient {
  readonly baseUrl: string;
  getAccountUsername(): Promise<string>;
  listHardware(): Promise<ReplicateHardwareItem[]>;
  /** Latest version id of a model, or null when it has none. Throws PlatformApiError 404 for an unknown model. */
  latestVersion(model: string): Promise<string | null>;
  /** null when the deployment does not exist. */
  getDeployment(owner: string, name: string): Promise<ReplicateDeployment | null>;
  createDeployment(body: ReplicateDeploymentCreateBody): Promise<ReplicateDeployment>;
  updateDeployment(owner: string, name: string, body: ReplicateDeploymentUpdateBody): Promise<ReplicateDeployment>;
  deleteDeployment(owner: string, name: string): Promise<DeleteOutcome>;
  /** Never repeated: a second POST is a second billed prediction. */
  createPrediction(owner: string, name: string, body: ReplicatePredictionCreateBody, options?: { cancelAfterSeconds?: number; timeoutMs?: number }): Promise<ReplicatePrediction>;
  /** null when the prediction is unknown (404). */
  getPrediction(id: string, options?: { timeoutMs?: number }): Promise<ReplicatePrediction | null>;
  cancelPrediction(id: string): Promise<void>;
  /** Opens a prediction's SSE stream (`urls.stream`); the URL must be one Replicate may receive the token at. */
  openStream(url: string, timeoutMs: number): Promise<Response>;
}

export interface ReplicateClientOptions {
  /** Per-attempt timeout of ordinary calls; settings.requestTimeoutMs overrides it. */
  timeoutMs?: number;
}

/** The API token of the context, or PlatformNotConfiguredError. */
export function replicateToken(context: ConnectorContext): string {
  const token = context.credentials[REPLICATE_TOKEN_NAME];
  if (!token) throw new PlatformNotConfiguredError(REPLICATE_PLATFORM, [REPLICATE_TOKEN_NAME]);
  return token;
}

export function replicateBaseUrl(context: ConnectorContext): string {
  return (context.settings['baseUrl'] ?? REPLICATE_DEFAULT_BASE_URL).replace(/\/+$/, '');
}

function settingsTimeoutMs(context: ConnectorContext): number | undefined {
  const text = context.settings['requestTimeoutMs'];
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * The token is only ever sent to the configured API origin or to Replicate's own hosts over https,
 * because `urls.stream` comes from a response body.
 */
export function isTrustedStreamUrl(url: string, baseUrl: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.origin === new URL(baseUrl).origin) return true;
  const host = parsed.hostname.toLowerCase();
  return parsed.protocol === 'https:' && (host === 'replicate.com' || host.endsWith('.replicate.com'));
}

function messageOf(body: unknown): string {
  if (body === undefined || body === null) return 'no message';
  return parseProviderMessage(typeof body === 'string' ? body : JSON.stringify(body)) || 'no message';
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'not a URL';
  }
}

const segment = encodeURIComponent;

export function createReplicateClient(context: ConnectorContext, options: ReplicateClientOptions = {}): ReplicateClient {
  const token = replicateToken(context);
  const baseUrl = replicateBaseUrl(context);
  const http: ProviderHttp = createProviderHttp({
    platform: REPLICATE_PLATFORM,
    baseUrl,
    headers: { authorization: `Bearer ${token}`, 'user-agent': 'modelport' },
    context,
    timeoutMs: settingsTimeoutMs(context) ?? options.timeoutMs ?? 30_000,
  });
  const deploymentPath = (owner: string, name: string): string => `/deployments/${segment(owner)}/${segment(name)}`;

  return {
    baseUrl,
    async getAccountUsername() {
      const response = await http.request({ method: 'GET', path: '/account', schema: ReplicateAccountSchema, retry: 'safe' });
      return response.data.username;
    },
    async listHardware() {
      const response = await http.request({ method: 'GET', path: '/hardware', schema: ReplicateHardwareListSchema, retry: 'safe' });
      return response.data;
    },
    async latestVersion(model) {
      const [owner = '', name = ''] = model.split('/');
      const response = await http.request({ method: 'GET', path: `/models/${segment(owner)}/${segment(name)}`, schema: ReplicateModelSchema, retry: 'safe' });
      return response.data.latest_version?.id ?? null;
    },
    async getDeployment(owner, name) {
      const response = await http.request({
        method: 'GET',
        path: deploymentPath(owner, name),
        schema: ReplicateDeploymentSchema,
        retry: 'safe',
        acceptStatuses: [404],
      });
      return response.status === 404 ? null : response.data;
    },
    async createDeployment(body) {
      const response = await http.request({ method: 'POST', path: '/deployments', body, schema: ReplicateDeploymentSchema, retry: 'never' });
      return response.data;
    },
    async updateDeployment(owner, name, body) {
      // Absolute values: repeating the PATCH lands in the same configuration (one extra release at most).
      const response = await http.request({ method: 'PATCH', path: deploymentPath(owner, name), body, schema: ReplicateDeploymentSchema, retry: 'safe' });
      return response.data;
    },
    async deleteDeployment(owner, name) {
      const response = await http.request<unknown>({
        method: 'DELETE',
        path: deploymentPath(owner, name),
        retry: 'safe',
        acceptStatuses: [404, ...deleteRefusalStatuses],
      });
      if (response.status === 404) return { kind: 'gone' };
      if (response.status >= 200 && response.status < 300) return { kind: 'deleted' };
      return { kind: 'refused', status: response.status, message: messageOf(response.data) };
    },
    async createPrediction(owner, name, body, createOptions = {}) {
      const response = await http.request({
        method: 'POST',
        path: `${deploymentPath(owner, name)}/predictions`,
        body,
        schema: ReplicatePredictionSchema,
        retry: 'never',
        ...(createOptions.cancelAfterSeconds === undefined ? {} : { headers: { 'cancel-after': `${createOptions.cancelAfterSeconds}s` } }),
        ...(createOptions.timeoutMs === undefined ? {} : { timeoutMs: createOptions.timeoutMs }),
      });
      return response.data;
    },
    async getPrediction(id, getOptions = {}) {
      const response = await http.request({
        method: 'GET',
        path: `/predictions/${segment(id)}`,
        schema: ReplicatePredictionSchema,
        retry: 'safe',
        acceptStatuses: [404],
        ...(getOptions.timeoutMs === undefined ? {} : { timeoutMs: getOptions.timeoutMs }),
      });
      return response.status === 404 ? null : response.data;
    },
    async cancelPrediction(id) {
      // Cancelling twice is harmless, so this POST may repeat.
      await http.request<unknown>({ method: 'POST', path: `/predictions/${segment(id)}/cancel`, retry: 'safe', acceptStatuses: [404] });
    },
    async openStream(url, timeoutMs) {
      if (!isTrustedStreamUrl(url, baseUrl)) {
        throw new PlatformApiError(REPLICATE_PLATFORM, `refusing to send the API token to an unexpected prediction stream URL (${hostOf(url)})`, undefined, {
          retryable: false,
        });
      }
      return http.stream({
        method: 'GET',
        path: url,
        retry: 'never',
        timeoutMs,
        headers: { accept: 'text/event-stream', 'cache-control': 'no-store' },
      });
    },
  };
}
