import { isModelportError, PlatformApiError, TimeoutError } from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';
import type { BackoffOptions } from '../http/backoff.js';
import { createProviderHttp, type ProviderHttp } from '../http/provider-http.js';
import {
  PredibaseCurrentUserSchema,
  PredibaseDeploymentEnvelopeSchema,
  type PredibaseCreateDeploymentBody,
  type PredibaseDeployment,
  type PredibaseUpdateDeploymentBody,
} from './predibase-api.js';
import { predibaseSettings, predibaseToken } from './predibase-settings.js';

/** Tuning the connector passes down; tests shorten backoff and timeouts. */
export interface PredibaseHttpTuning {
  backoff?: BackoffOptions;
  timeoutMs?: number;
}

/**
 * Typed calls to Predibase's control plane, one per operation. Which calls may be repeated is decided
 * here: reads, PUT (absolute values) and DELETE are safe; the create is never repeated blindly (the
 * caller checks by name instead).
 */
export interface PredibaseClient {
  readonly baseUrl: string;
  readonly token: string;
  /** The tenant short code from `GET /v1/users/current`, falling back to `/v2/users/current` on 404. */
  currentTenant(): Promise<string>;
  /** Null when Predibase answers 404. */
  getDeployment(name: string): Promise<PredibaseDeployment | null>;
  /** The answer's body shape is UNCONFIRMED, so a body that is not a deployment yields null. */
  createDeployment(body: PredibaseCreateDeploymentBody): Promise<PredibaseDeployment | null>;
  /** False when the deployment does not exist (404). */
  updateDeployment(name: string, body: PredibaseUpdateDeploymentBody): Promise<boolean>;
  /** False when it was already gone (404). */
  deleteDeployment(name: string): Promise<boolean>;
}

export function createPredibaseClient(context: ConnectorContext, tuning: PredibaseHttpTuning = {}): PredibaseClient {
  const settings = predibaseSettings(context);
  const token = predibaseToken(context);
  const timeoutMs = tuning.timeoutMs ?? settings.controlTimeoutMs;
  const http: ProviderHttp = createProviderHttp({
    platform: 'predibase',
    baseUrl: settings.baseUrl,
    headers: { authorization: `Bearer ${token}` },
    context,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(tuning.backoff === undefined ? {} : { backoff: tuning.backoff }),
  });
  const deploymentPath = (name: string) => `/v2/deployments/${encodeURIComponent(name)}`;

  return {
    baseUrl: settings.baseUrl,
    token,
    async currentTenant() {
      // The older SDK used /v1 (confirmed); whether the newest one moved it is UNCONFIRMED, so try both.
      let response = await http.request({
        method: 'GET',
        path: '/v1/users/current',
        schema: PredibaseCurrentUserSchema,
        retry: 'safe',
        acceptStatuses: [404],
      });
      if (response.status === 404) {
        response = await http.request({ method: 'GET', path: '/v2/users/current', schema: PredibaseCurrentUserSchema, retry: 'safe' });
      }
      const tenant = response.data.tenantShortCode;
      if (tenant === null) {
        throw new PlatformApiError(
          'predibase',
          'the current-user answer names no tenant short code; set MODELPORT_PREDIBASE_TENANT to your Tenant ID (Settings > My Profile)',
          response.status,
          { retryable: false },
        );
      }
      return tenant;
    },
    async getDeployment(name) {
      const response = await http.request({
        method: 'GET',
        path: deploymentPath(name),
        schema: PredibaseDeploymentEnvelopeSchema,
        retry: 'safe',
        acceptStatuses: [404],
      });
      return response.status === 404 ? null : response.data;
    },
    async createDeployment(body) {
      const response = await http.request({ method: 'POST', path: '/v2/deployments', body, retry: 'never' });
      const parsed = PredibaseDeploymentEnvelopeSchema.safeParse(response.data);
      return parsed.success ? parsed.data : null;
    },
    async updateDeployment(name, body) {
      const response = await http.request({
        method: 'PUT',
        path: deploymentPath(name),
        body,
        // Every field is an absolute value: sending it twice lands in the same place.
        retry: 'safe',
        acceptStatuses: [404],
      });
      return response.status !== 404;
    },
    async deleteDeployment(name) {
      const response = await http.request({ method: 'DELETE', path: deploymentPath(name), retry: 'safe', acceptStatuses: [404] });
      return response.status !== 404;
    },
  };
}

/**
 * A failure after which nobody knows whether Predibase carried out a create: no answer, a 5xx, or a 2xx
 * whose body could not be read.
 */
export function isAmbiguousCreateFailure(error: unknown): boolean {
  if (error instanceof TimeoutError) return true;
  if (error instanceof PlatformApiError) return error.status === undefined || error.status >= 500 || (error.status >= 200 && error.status < 300);
  return !isModelportError(error);
}
