import type { z } from 'zod';
import {
  ModelportError,
  PlatformApiError,
  PlatformAuthError,
  PlatformCapacityError,
  TimeoutError,
} from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';
import { createAttemptSignal } from './attempt-signal.js';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js';
import { findRefusedAddress } from './guarded-lookup.js';
import { networkErrorCodes, provesNotSent } from './network-error.js';
import { parseProviderMessage } from './provider-message.js';
import { collectSecrets, redact } from './redact.js';
import { retryAfterFromHeaders } from './retry-after.js';

/**
 * The one HTTP client every connector uses to talk to its provider: timeouts, JSON, loose schema
 * validation, error mapping to ModelportError classes, retries that never repeat a create, and
 * redaction of secrets from every message it builds.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ProviderHttpOptions {
  /** Platform id, used as the prefix of every error message. */
  platform: string;
  /** Prefix of every request path, e.g. `https://api.together.xyz/v1`. */
  baseUrl: string;
  /** Sent with every request (Authorization and the like). Their credential values are redacted. */
  headers?: Record<string, string>;
  context: ConnectorContext;
  /** Per attempt, covering the whole exchange (for `stream`, until the body is fully read). Default 30 000 ms. */
  timeoutMs?: number;
  /** Attempts in total, first one included. Default 4. */
  maxAttempts?: number;
  /**
   * Follow HTTP redirects. Default true. Turn off for user-supplied URLs: a redirect could lead past the
   * URL guard (to a metadata address); a 3xx then fails with a clear, non-retryable error.
   */
  followRedirects?: boolean;
  /** Backoff between attempts; tests shorten it. Default base 250 ms, cap 8 s. */
  backoff?: BackoffOptions;
  /**
   * Longest Retry-After we wait out inside one call. A longer one is handed to the caller as a
   * PlatformCapacityError carrying `retryAfterMs`, so a reconciler can reschedule instead of blocking.
   * Default 30 000 ms.
   */
  maxRetryAfterMs?: number;
}

export interface ProviderRequest<T> {
  method: HttpMethod;
  /** Appended to the base URL; an absolute http(s) URL is used as it is (e.g. a deployment's own serving URL). */
  path: string;
  /** Undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Validates a successful body. Write provider schemas loosely (z.looseObject) so extra fields never fail. */
  schema?: z.ZodType<T>;
  /** 'safe' = may repeat (GET, PUT, DELETE, idempotent PATCH); 'never' = POST creates: never repeat */
  retry: 'safe' | 'never';
  /** statuses returned as a result instead of thrown, e.g. [404] */
  acceptStatuses?: number[];
  /** Extra headers for this request only. */
  headers?: Record<string, string>;
  /** Overrides the client's per-attempt timeout for this request. */
  timeoutMs?: number;
}

export interface ProviderResponse<T> {
  status: number;
  headers: Headers;
  /**
   * The validated body for a 2xx status. For a status listed in `acceptStatuses` the body is NOT
   * validated (it is an error body: parsed JSON, text or undefined): branch on `status` before reading it.
   */
  data: T;
}

export interface ProviderHttp {
  /**
   * One JSON exchange. Throws PlatformAuthError (401/403), PlatformCapacityError (429, with
   * `retryAfterMs`), PlatformApiError (other statuses, network failures, malformed bodies), TimeoutError,
   * or the context signal's reason when the caller aborted.
   */
  request<T>(request: ProviderRequest<T>): Promise<ProviderResponse<T>>;
  /**
   * Like `request`, but returns the raw response once the status is known to be good, without reading
   * the body. Errors while reading the body are mapped too: TimeoutError, PlatformApiError for a lost
   * connection, the context signal's reason on abort. `schema` is ignored.
   */
  stream(request: ProviderRequest<unknown>): Promise<Response>;
}

/** Error bodies are read up to this size; the message only needs the start. */
const ERROR_BODY_LIMIT_BYTES = 64 * 1024;

type AttemptOutcome<R> =
  | { kind: 'ok'; value: R }
  | { kind: 'fail'; error: ModelportError; retry: boolean; retryAfterMs?: number };

interface AttemptScope {
  /** Maps an error thrown while reading the body to what the caller should see. */
  mapReadError(error: unknown): unknown;
  /**
   * Keeps the attempt's timeout and abort link alive after the exchange returns (a streamed body is
   * still being read); the returned function releases them.
   */
  keepAlive(): () => void;
}

export function createProviderHttp(options: ProviderHttpOptions): ProviderHttp {
  const { platform, context } = options;
  const defaultTimeoutMs = options.timeoutMs ?? 30_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const backoff = options.backoff ?? defaultBackoff;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const redirect: 'manual' | 'follow' = options.followRedirects === false ? 'manual' : 'follow';
  const secrets = collectSecrets(context.credentials, options.headers);
  const clean = (text: string): string => redact(text, secrets);

  async function exchange<R>(
    request: ProviderRequest<unknown>,
    onAccepted: (response: Response, scope: AttemptScope) => Promise<R>,
  ): Promise<R> {
    const url = buildUrl(options.baseUrl, request.path, request.query);
    const what = clean(`${request.method} ${url.pathname}`);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
      ...request.headers,
    };
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    const canRepeat = request.retry === 'safe';

    const failureFromThrown = (error: unknown, timedOut: boolean, phase: 'connect' | 'read'): AttemptOutcome<R> => {
      if (context.signal.aborted) throw context.signal.reason;
      if (timedOut) {
        return { kind: 'fail', error: new TimeoutError(`${platform} ${what}`, timeoutMs), retry: canRepeat };
      }
      // The outbound guard refused the address the host resolved to: nothing was sent, and asking
      // again gets the same answer until DNS or the configuration changes.
      const refused = phase === 'connect' ? findRefusedAddress(error) : null;
      if (refused) {
        const message = clean(`${what} failed: refused to connect: ${refused.message}`);
        return { kind: 'fail', error: new PlatformApiError(platform, message, undefined, { retryable: false, details: { codes: [refused.code] } }), retry: false };
      }
      const codes = networkErrorCodes(error);
      const reason = codes.length > 0 ? codes.join(', ') : error instanceof Error ? error.message : 'network error';
      const message =
        phase === 'connect'
          ? `${what} failed: cannot reach ${url.host} (${reason})`
          : `${what} failed: connection lost while reading the response (${reason})`;
      return {
        kind: 'fail',
        error: new PlatformApiError(platform, clean(message), undefined, { retryable: true, details: { codes } }),
        // A request that provably never left may be sent again even when it creates something.
        retry: canRepeat || (phase === 'connect' && provesNotSent(error)),
      };
    };

    const failureFromStatus = (response: Response, text: string): AttemptOutcome<R> => {
      const status = response.status;
      const providerMessage = clean(parseProviderMessage(text)) || response.statusText || 'no message';
      const message = `${what} returned HTTP ${status}: ${providerMessage}`;
      const retryAfterMs = retryAfterFromHeaders(response.headers, context.clock.now());
      const waitable = retryAfterMs === undefined || retryAfterMs <= maxRetryAfterMs;
      if (status >= 300 && status < 400) {
        const redirectMessage = `${what} answered with a redirect (HTTP ${status}), which is not followed: use the final URL`;
        return { kind: 'fail', error: new PlatformApiError(platform, redirectMessage, status, { retryable: false }), retry: false };
      }
      if (status === 401 || status === 403) {
        return { kind: 'fail', error: new PlatformAuthError(platform, message, { details: { status } }), retry: false };
      }
      if (status === 429) {
        return {
          kind: 'fail',
          error: new PlatformCapacityError(platform, message, retryAfterMs, { details: { status } }),
          retry: canRepeat && waitable,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        };
      }
      if (status >= 500 || status === 408) {
        return {
          kind: 'fail',
          error: new PlatformApiError(platform, message, status, {
            retryable: true,
            ...(retryAfterMs === undefined ? {} : { details: { retryAfterMs } }),
          }),
          retry: canRepeat && waitable,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        };
      }
      return { kind: 'fail', error: new PlatformApiError(platform, message, status, { retryable: false }), retry: false };
    };

    const attemptOnce = async (): Promise<AttemptOutcome<R>> => {
      const attempt = createAttemptSignal(context.signal, timeoutMs);
      let keptAlive = false;
      const scope: AttemptScope = {
        mapReadError: (error) => {
          if (context.signal.aborted) return context.signal.reason;
          const failure = failureFromThrown(error, attempt.timedOut, 'read');
          return failure.kind === 'fail' ? failure.error : error;
        },
        keepAlive: () => {
          keptAlive = true;
          return attempt.dispose;
        },
      };
      try {
        let response: Response;
        try {
          response = await context.fetch(url, { method: request.method, headers, body, signal: attempt.signal, redirect });
        } catch (error) {
          return failureFromThrown(error, attempt.timedOut, 'connect');
        }
        if (response.ok || request.acceptStatuses?.includes(response.status)) {
          try {
            return { kind: 'ok', value: await onAccepted(response, scope) };
          } catch (error) {
            if (error instanceof ModelportError) throw error;
            return failureFromThrown(error, attempt.timedOut, 'read');
          }
        }
        let text = '';
        try {
          text = await readLimitedText(response, ERROR_BODY_LIMIT_BYTES);
        } catch {
          if (context.signal.aborted) throw context.signal.reason;
          // The status alone still says what happened.
        }
        return failureFromStatus(response, text);
      } finally {
        if (!keptAlive) attempt.dispose();
      }
    };

    for (let attempt = 0; ; attempt += 1) {
      context.signal.throwIfAborted();
      const outcome = await attemptOnce();
      if (outcome.kind === 'ok') return outcome.value;
      if (!outcome.retry || attempt + 1 >= maxAttempts) throw outcome.error;
      const delayMs = backoffDelay(attempt, backoff, outcome.retryAfterMs);
      context.logger.debug('provider request failed, retrying', {
        platform,
        request: what,
        attempt: attempt + 1,
        delayMs,
        error: outcome.error.message,
      });
      await context.clock.sleep(delayMs, context.signal);
    }
  }

  return {
    async request<T>(request: ProviderRequest<T>): Promise<ProviderResponse<T>> {
      const what = clean(`${request.method} ${buildUrl(options.baseUrl, request.path, request.query).pathname}`);
      const received = await exchange(request, async (response) => ({
        status: response.status,
        headers: response.headers,
        ok: response.ok,
        text: await response.text(),
      }));
      const parsed = parseBody(received.text);
      if (!received.ok || request.schema === undefined) {
        // Without a schema (or for an accepted error status) the caller gets the body as it came.
        return { status: received.status, headers: received.headers, data: parsed.value as T };
      }
      const result = request.schema.safeParse(parsed.value);
      if (!result.success) {
        // Issue paths and zod's messages name expected types, never the values, so no secret can leak.
        const issues =
          parsed.value !== undefined && !parsed.json
            ? 'body is not JSON'
            : result.error.issues
                .slice(0, 3)
                .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
                .join('; ');
        // A garbled answer to a read is worth reading again later (the caller decides when); a garbled
        // answer to a create is not: the create may have happened, and the connector must look first.
        throw new PlatformApiError(platform, clean(`malformed response from ${what}: ${issues}`), received.status, {
          retryable: request.retry === 'safe',
        });
      }
      return { status: received.status, headers: received.headers, data: result.data };
    },

    stream(request) {
      return exchange(request, async (response, scope) => guardBody(response, scope.mapReadError, scope.keepAlive()));
    },
  };
}

/** Joins base URL, path and query. An absolute path wins over the base URL. */
export function buildUrl(baseUrl: string, path: string, query?: Record<string, string | number | boolean | undefined>): URL {
  const url = /^https?:\/\//i.test(path)
    ? new URL(path)
    : new URL(`${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}

function parseBody(text: string): { json: boolean; value: unknown } {
  if (text.trim() === '') return { json: false, value: undefined };
  try {
    return { json: true, value: JSON.parse(text) as unknown };
  } catch {
    return { json: false, value: text };
  }
}

async function readLimitedText(response: Response, limitBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    while (bytes < limitBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Re-wraps a body so read errors arrive already mapped, cancelling still reaches the socket, and the
 * attempt's timer and abort link are released once the body is finished either way.
 */
function guardBody(response: Response, mapError: (error: unknown) => unknown, release: () => void): Response {
  const source = response.body;
  if (!source) {
    release();
    return response;
  }
  const reader = source.getReader();
  const guarded = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        release();
        controller.error(mapError(error));
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
  return new Response(guarded, { status: response.status, statusText: response.statusText, headers: response.headers });
}
