import { isModelportError, PlatformApiError, PlatformNotConfiguredError, TimeoutError } from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';
import type { BackoffOptions } from '../http/backoff.js';
import { createProviderHttp, type ProviderHttp } from '../http/provider-http.js';
import {
  DedicatedEndpointSchema,
  EndpointListSchema,
  HardwareListSchema,
  JobListSchema,
  JobSchema,
  ModelListSchema,
  ModelUploadResponseSchema,
  type CreateEndpointBody,
  type DedicatedEndpoint,
  type Hardware,
  type Job,
  type ListEndpoint,
  type ModelInfo,
  type ModelUploadBody,
  type ModelUploadResponse,
  type UpdateEndpointBody,
} from './together-api.js';

/** Together's public API root. `settings.baseUrl` overrides it (tests point it at a fake). */
export const defaultTogetherBaseUrl = 'https://api.together.xyz/v1';

/** The credential Together needs. */
export const togetherApiKeyName = 'TOGETHER_API_KEY';

/** Tuning the connector passes down; tests shorten backoff. */
export interface TogetherHttpTuning {
  backoff?: BackoffOptions;
  timeoutMs?: number;
}

/**
 * Typed calls to Together's v1 API, one per operation the connector uses. Which calls may be repeated is
 * decided here: reads, PATCH with absolute values and DELETE are safe; creates (`POST /endpoints`,
 * `POST /models`) are never repeated blindly.
 */
export interface TogetherClient {
  readonly baseUrl: string;
  readonly apiKey: string;
  listDedicatedEndpoints(): Promise<ListEndpoint[]>;
  /** Null when Together answers 404. */
  getEndpoint(id: string): Promise<DedicatedEndpoint | null>;
  createEndpoint(body: CreateEndpointBody): Promise<DedicatedEndpoint>;
  /** Null when Together answers 404. */
  updateEndpoint(id: string, body: UpdateEndpointBody): Promise<DedicatedEndpoint | null>;
  /** False when it was already gone (404). */
  deleteEndpoint(id: string): Promise<boolean>;
  listHardware(model?: string): Promise<Hardware[]>;
  listModels(): Promise<ModelInfo[]>;
  uploadModel(body: ModelUploadBody): Promise<ModelUploadResponse>;
  /** Null when Together answers 404. */
  getJob(jobId: string): Promise<Job | null>;
  listJobs(): Promise<Job[]>;
}

export function baseUrlOf(context: ConnectorContext): string {
  return (context.settings['baseUrl'] ?? defaultTogetherBaseUrl).replace(/\/+$/, '');
}

/** The API key, or PlatformNotConfiguredError naming the missing credential. */
export function apiKeyOf(context: ConnectorContext): string {
  const key = context.credentials[togetherApiKeyName];
  if (key === undefined || key.trim() === '') throw new PlatformNotConfiguredError('together', [togetherApiKeyName]);
  return key;
}

export function createTogetherClient(context: ConnectorContext, tuning: TogetherHttpTuning = {}): TogetherClient {
  const baseUrl = baseUrlOf(context);
  const apiKey = apiKeyOf(context);
  const http: ProviderHttp = createProviderHttp({
    platform: 'together',
    baseUrl,
    headers: { authorization: `Bearer ${apiKey}` },
    context,
    ...(tuning.timeoutMs === undefined ? {} : { timeoutMs: tuning.timeoutMs }),
    ...(tuning.backoff === undefined ? {} : { backoff: tuning.backoff }),
  });
  const path = (template: string, id: string) => template.replace('{id}', encodeURIComponent(id));

  return {
    baseUrl,
    apiKey,
    async listDedicatedEndpoints() {
      // `type=dedicated` drops the serverless catalogue entries (owner "together") from the list.
      const response = await http.request({
        method: 'GET',
        path: '/endpoints',
        query: { type: 'dedicated', mine: true },
        schema: EndpointListSchema,
        retry: 'safe',
      });
      return response.data.data;
    },
    async getEndpoint(id) {
      const response = await http.request({
        method: 'GET',
        path: path('/endpoints/{id}', id),
        schema: DedicatedEndpointSchema,
        retry: 'safe',
        acceptStatuses: [404],
      });
      return response.status === 404 ? null : response.data;
    },
    async createEndpoint(body) {
      const response = await http.request({ method: 'POST', path: '/endpoints', body, schema: DedicatedEndpointSchema, retry: 'never' });
      return response.data;
    },
    async updateEndpoint(id, body) {
      const response = await http.request({
        method: 'PATCH',
        path: path('/endpoints/{id}', id),
        body,
        schema: DedicatedEndpointSchema,
        // Every field is an absolute value, so sending it twice lands in the same place.
        retry: 'safe',
        acceptStatuses: [404],
      });
      return response.status === 404 ? null : response.data;
    },
    async deleteEndpoint(id) {
      const response = await http.request({
        method: 'DELETE',
        path: path('/endpoints/{id}', id),
        retry: 'safe',
        acceptStatuses: [404],
        headers: { accept: '*/*' },
      });
      return response.status !== 404;
    },
    async listHardware(model) {
      const response = await http.request({
        method: 'GET',
        path: '/hardware',
        query: { model },
        schema: HardwareListSchema,
        retry: 'safe',
      });
      return response.data.data;
    },
    async listModels() {
      const response = await http.request({ method: 'GET', path: '/models', schema: ModelListSchema, retry: 'safe' });
      return response.data;
    },
    async uploadModel(body) {
      const response = await http.request({ method: 'POST', path: '/models', body, schema: ModelUploadResponseSchema, retry: 'never' });
      return response.data;
    },
    async getJob(jobId) {
      const response = await http.request({
        method: 'GET',
        path: path('/jobs/{id}', jobId),
        schema: JobSchema,
        retry: 'safe',
        acceptStatuses: [404],
      });
      return response.status === 404 ? null : response.data;
    },
    async listJobs() {
      const response = await http.request({ method: 'GET', path: '/jobs', schema: JobListSchema, retry: 'safe' });
      return response.data.data;
    },
  };
}

/**
 * A failure after which nobody knows whether Together carried out a create: no answer, a 5xx, or a 2xx
 * whose body could not be read (the create happened; only its description was lost).
 */
export function isAmbiguousCreateFailure(error: unknown): boolean {
  if (error instanceof TimeoutError) return true;
  if (error instanceof PlatformApiError) return error.status === undefined || error.status >= 500 || (error.status >= 200 && error.status < 300);
  return !isModelportError(error);
}
