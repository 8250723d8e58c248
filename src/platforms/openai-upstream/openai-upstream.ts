import { PlatformApiError } from '../../core/errors/index.js';
import type { ChatMessage, FinishReason, InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { ConnectorContext } from '../connector.js';
import { createProviderHttp, type ProviderHttp } from '../http/provider-http.js';
import { parseProviderMessage } from '../http/provider-message.js';
import { collectSecrets, redact } from '../http/redact.js';
import { readSseEvents } from '../http/sse.js';
import { mapOpenAIFinishReason } from './finish-reason.js';
import { ChatCompletionChunkSchema, ModelListSchema, type ChatCompletionChunk } from './openai-upstream-api.js';
import { estimatePromptTokens, estimateTokens } from './token-estimate.js';

/**
 * The one client for servers that speak OpenAI's chat completions: vLLM, LoRAX, TGI, SGLang, llama.cpp
 * server, Ollama, and the hosted platforms built on them (Predibase, Together, Modal's vLLM).
 */

export interface OpenAIUpstreamTarget {
  /** Platform id, prefix of every error message. */
  platform: string;
  /** The OpenAI base, usually ending in `/v1`; `/chat/completions` and `/models` are appended. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when present. */
  apiKey?: string;
  /** Extra headers for every call (never secrets other than those in `context.credentials` or `apiKey`). */
  headers?: Record<string, string>;
  /** Follow redirects (default true). Off for user-supplied servers: see ProviderHttpOptions.followRedirects. */
  followRedirects?: boolean;
}

export interface InvokeChatCompletionOptions {
  /** The `model` field: a base model or, on LoRA servers, an adapter name. */
  model: string;
  context: ConnectorContext;
  /** End to end, including reading the whole stream. */
  timeoutMs: number;
  /** Merged into the request body last, so its keys override the standard ones (`adapter_id`, `top_k`…). */
  extraBody?: Record<string, unknown>;
  /** map non-standard finish reasons */
  mapFinishReason?: (raw: string | null) => FinishReason;
  /** Token counter for estimates when the server reports no usage; default ~4 characters per token. */
  countTokens?: (text: string) => number;
}

/**
 * Runs one chat completion, always streamed, and yields text deltas then exactly one `done`.
 *
 * - A `prompt` request becomes a single user message.
 * - Usage comes from the server's last usage report (`stream_options.include_usage`); counts it did not
 *   give are estimated (see token-estimate.ts) and the usage is marked `estimated`.
 * - Errors before the first byte throw like provider-http (401/403 auth, 429 capacity, 404 unknown
 *   model, 5xx); an error chunk in the stream, a malformed chunk, or a stream that stops without
 *   finish_reason or `[DONE]` throws PlatformApiError from the iterator; exceeding `timeoutMs` throws
 *   TimeoutError.
 * - Aborting `context.signal` ends the stream with `done` and finish reason `abort` (usage estimated
 *   from what arrived), so the caller can still meter what was generated.
 * - The request is never repeated once it may have reached the server (a generation is not free);
 *   only a refused connection is retried.
 */
export async function* invokeChatCompletion(
  target: OpenAIUpstreamTarget,
  request: InvokeRequest,
  options: InvokeChatCompletionOptions,
): AsyncGenerator<InvokeEvent, void, undefined> {
  const { context } = options;
  const countTokens = options.countTokens ?? estimateTokens;
  const mapFinishReason = options.mapFinishReason ?? mapOpenAIFinishReason;
  const messages: ChatMessage[] = request.messages ?? [{ role: 'user', content: request.prompt ?? '' }];
  const http = createProviderHttp({
    platform: target.platform,
    baseUrl: target.baseUrl,
    headers: upstreamHeaders(target),
    context,
    timeoutMs: options.timeoutMs,
    maxAttempts: 3,
    ...(target.followRedirects === undefined ? {} : { followRedirects: target.followRedirects }),
  });
  const secrets = collectSecrets(context.credentials, upstreamHeaders(target));

  const body: Record<string, unknown> = {
    model: options.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    top_p: request.topP,
    ...(request.stop.length > 0 ? { stop: request.stop } : {}),
    ...options.extraBody,
  };

  let text = '';
  let finishRaw: string | undefined;
  let sawDone = false;
  const reported: { prompt?: number; completion?: number } = {};

  const done = (finishReason: FinishReason, trustReported: boolean): InvokeEvent => {
    const prompt = trustReported ? reported.prompt : undefined;
    const completion = trustReported ? reported.completion : undefined;
    return {
      type: 'done',
      finishReason,
      usage: {
        inputTokens: prompt ?? estimatePromptTokens(messages, countTokens),
        outputTokens: completion ?? countTokens(text),
        estimated: prompt === undefined || completion === undefined,
      },
    };
  };

  try {
    const response = await openStream(http, body);
    for await (const event of readSseEvents(response)) {
      if (context.signal.aborted) break;
      const data = event.data.trim();
      if (data === '') continue;
      if (data === '[DONE]') {
        sawDone = true;
        break;
      }
      if (event.event === 'error') throw inBandError(target.platform, data, secrets);
      const chunk = parseChunk(target.platform, data);
      if (chunk.error !== null && chunk.error !== undefined) throw inBandError(target.platform, data, secrets);
      const choice = chunk.choices?.[0];
      const piece = choice?.delta?.content ?? choice?.text ?? '';
      if (typeof choice?.finish_reason === 'string') finishRaw = choice.finish_reason;
      // The last report wins: LoRAX sends zeros on every chunk and the real counts on the last.
      const prompt = validCount(chunk.usage?.prompt_tokens);
      const completion = validCount(chunk.usage?.completion_tokens);
      if (prompt !== undefined) reported.prompt = prompt;
      if (completion !== undefined) reported.completion = completion;
      if (piece !== '') {
        text += piece;
        yield { type: 'delta', text: piece };
      }
    }
  } catch (error) {
    if (!context.signal.aborted) throw error;
  }

  // The final usage report comes last, so after an abort the counts we hold are partial at best.
  if (context.signal.aborted) {
    yield done('abort', false);
    return;
  }
  if (!sawDone && finishRaw === undefined) {
    throw new PlatformApiError(target.platform, 'stream ended unexpectedly (no finish_reason and no [DONE])', undefined, {
      retryable: true,
    });
  }
  yield done(mapFinishReason(finishRaw ?? null), true);
}

/** What a server's model listing said: the ids, or that it has no listing (LoRAX answers 404). */
export type UpstreamModelListing = { listed: true; models: string[] } | { listed: false; status: number };

export interface UpstreamProbeOptions {
  /** Per attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /** Default 3. */
  maxAttempts?: number;
}

/**
 * GET {baseUrl}/models, tolerating servers without the route (404/405 → `listed: false`). Retries
 * transient failures; throws like provider-http otherwise.
 */
export async function probeUpstreamModels(
  target: OpenAIUpstreamTarget,
  context: ConnectorContext,
  options: UpstreamProbeOptions = {},
): Promise<UpstreamModelListing> {
  const http = createProviderHttp({
    platform: target.platform,
    baseUrl: target.baseUrl,
    headers: upstreamHeaders(target),
    context,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxAttempts: options.maxAttempts ?? 3,
    ...(target.followRedirects === undefined ? {} : { followRedirects: target.followRedirects }),
  });
  const response = await http.request({
    method: 'GET',
    path: '/models',
    schema: ModelListSchema,
    retry: 'safe',
    acceptStatuses: [404, 405],
  });
  if (response.status === 404 || response.status === 405) return { listed: false, status: response.status };
  return { listed: true, models: response.data.data.map((model) => model.id) };
}

/** Model ids from GET {baseUrl}/models. Throws PlatformApiError (status 404) when the server has no listing. */
export async function listUpstreamModels(
  target: OpenAIUpstreamTarget,
  context: ConnectorContext,
  options: UpstreamProbeOptions = {},
): Promise<string[]> {
  const listing = await probeUpstreamModels(target, context, options);
  if (!listing.listed) {
    throw new PlatformApiError(target.platform, `GET /models is not offered by this server (HTTP ${listing.status})`, listing.status, {
      retryable: false,
    });
  }
  return listing.models;
}

/** Headers for every call to the target. */
export function upstreamHeaders(target: OpenAIUpstreamTarget): Record<string, string> {
  return {
    ...target.headers,
    ...(target.apiKey === undefined || target.apiKey === '' ? {} : { authorization: `Bearer ${target.apiKey}` }),
  };
}

async function openStream(http: ProviderHttp, body: Record<string, unknown>): Promise<Response> {
  const send = (payload: Record<string, unknown>) =>
    http.stream({
      method: 'POST',
      path: '/chat/completions',
      body: payload,
      retry: 'never',
      headers: { accept: 'text/event-stream' },
    });
  try {
    return await send(body);
  } catch (error) {
    // Older servers refuse the field outright; a 4xx means nothing ran, so asking again is safe.
    if (!isStreamOptionsRejection(error)) throw error;
    const { stream_options: _refused, ...withoutStreamOptions } = body;
    return send(withoutStreamOptions);
  }
}

function isStreamOptionsRejection(error: unknown): boolean {
  return (
    error instanceof PlatformApiError &&
    (error.status === 400 || error.status === 422) &&
    /stream_options/i.test(error.message)
  );
}

function parseChunk(platform: string, data: string): ChatCompletionChunk {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new PlatformApiError(platform, 'malformed stream chunk (not JSON)', undefined, { retryable: false });
  }
  const parsed = ChatCompletionChunkSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new PlatformApiError(platform, `malformed stream chunk (${where || 'root'})`, undefined, { retryable: false });
  }
  return parsed.data;
}

function inBandError(platform: string, data: string, secrets: string[]): PlatformApiError {
  const message = redact(parseProviderMessage(data), secrets) || 'unknown error';
  return new PlatformApiError(platform, `error in stream: ${message}`, undefined, { retryable: true });
}

function validCount(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}
