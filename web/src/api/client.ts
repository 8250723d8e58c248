import { authorizationHeader } from '../lib/api-token';
import { ApiError, toProblem } from './api-error';

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The one way the UI calls the API: same origin, JSON in and out, problem+json turned into ApiError.
 * Returns undefined for 204.
 */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  const body = await readJson(response);
  if (!response.ok) throw new ApiError(toProblem(response.status, body, response.statusText || 'Request failed'));
  return body as T;
}

/** Like apiRequest, but hands back the raw response of a successful request (for streams). */
export async function apiStream(path: string, options: RequestOptions = {}): Promise<Response> {
  const response = await send(path, { ...options, headers: { accept: 'text/event-stream', ...options.headers } });
  if (!response.ok) throw new ApiError(toProblem(response.status, await readJson(response), response.statusText || 'Request failed'));
  return response;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...authorizationHeader(), ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(toProblem(0, null, 'Server unreachable'));
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
