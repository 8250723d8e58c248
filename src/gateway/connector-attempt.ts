import { randomUUID } from 'node:crypto';
import type { ClientResponse } from './client-response.js';
import { isModelportError, ModelportError, TimeoutError } from '../core/errors/index.js';
import type { FinishReason, InvokeRequest } from '../core/invocation.js';
import type { InvocationEvent, InvocationResult, InvocationService } from '../services/invocation-service.js';
import { errorCodeOf, isTargetFailure, type AttemptOutcome, type AttemptRequest, type AttemptStart } from './attempt.js';

/**
 * Runs an attempt through the platform connector (platforms whose API is not OpenAI's own: local
 * llama.cpp, Replicate…) and writes OpenAI-shaped responses. The invocation service measures, prices and
 * records it.
 */
export async function startConnectorAttempt(invocations: InvocationService, request: AttemptRequest, clock: { monotonic(): number }): Promise<AttemptStart> {
  const start = clock.monotonic();
  const { deployment } = request.plan;
  const controller = new AbortController();
  const stopWatching = request.client.onGone(() => controller.abort(new ModelportError('timeout', 'client closed the connection', { details: { gatewayCode: 'client_closed' } })));
  const firstTimer = setTimeout(() => controller.abort(new TimeoutError(`the first token from ${deployment.name}`, request.firstTokenTimeoutMs)), request.firstTokenTimeoutMs);
  const cleanup = () => {
    clearTimeout(firstTimer);
    stopWatching();
  };

  const messages = request.connectorMessages();
  const invokeRequest: InvokeRequest = {
    ...(messages ? { messages } : { prompt: request.prompt ?? '' }),
    adapterId: request.adapterId,
    maxTokens: request.maxTokens,
    temperature: numberOr(request.body['temperature'], 1),
    topP: numberOr(request.body['top_p'], 1),
    stop: stopOf(request.body['stop']),
  };
  const events = invocations.invoke(deployment, invokeRequest, { source: 'gateway', signal: controller.signal, timeoutMs: request.requestTimeoutMs })[Symbol.asyncIterator]();

  const failed = (error: unknown): AttemptStart => {
    cleanup();
    const failure = isModelportError(error) ? error : new ModelportError('internal_error', 'inference failed', { cause: error });
    const latencyMs = clock.monotonic() - start;
    return {
      started: false,
      error: failure,
      fallback: isTargetFailure(failure) && !request.client.gone,
      upstreamWaitMs: latencyMs,
      outcome: { success: false, errorCode: errorCodeOf(failure), usage: null, costUsd: 0, ttftMs: null, interTokenMs: null, latencyMs, recorded: true },
    };
  };

  let first: IteratorResult<InvocationEvent>;
  try {
    first = await events.next();
  } catch (error) {
    return failed(error);
  }
  if (first.done) return failed(new ModelportError('platform_api_error', 'the platform ended the response without usage'));
  clearTimeout(firstTimer);

  const id = `${request.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = String(request.body['model']);

  if (!request.stream) {
    let result: InvocationResult | null = first.value.type === 'done' ? first.value.result : null;
    try {
      for (let step = await events.next(); !step.done; step = await events.next()) if (step.value.type === 'done') result = step.value.result;
    } catch (error) {
      return failed(error);
    }
    cleanup();
    if (!result) return failed(new ModelportError('platform_api_error', 'the platform ended the response without usage'));
    const final = result;
    const choice =
      request.kind === 'chat'
        ? { index: 0, message: { role: 'assistant', content: final.output }, finish_reason: openAIFinish(final.finishReason) }
        : { index: 0, text: final.output, finish_reason: openAIFinish(final.finishReason) };
    const body = JSON.stringify({ id, object: request.kind === 'chat' ? 'chat.completion' : 'text_completion', created, model, choices: [choice], usage: usageOf(final) });
    return {
      started: true,
      upstreamWaitMs: clock.monotonic() - start,
      contentType: 'application/json',
      contentLength: Buffer.byteLength(body),
      async deliver(out) {
        out.end(body);
        return outcomeOf(final);
      },
    };
  }

  return {
    started: true,
    upstreamWaitMs: clock.monotonic() - start,
    contentType: 'text/event-stream; charset=utf-8',
    deliver: (out) => pipe(out, first, events, request, { id, created, model }, cleanup),
  };
}

async function pipe(
  out: ClientResponse,
  first: IteratorResult<InvocationEvent>,
  events: AsyncIterator<InvocationEvent>,
  request: AttemptRequest,
  meta: { id: string; created: number; model: string },
  cleanup: () => void,
): Promise<AttemptOutcome> {
  const chunkObject = request.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const write = (payload: unknown) => out.write(`data: ${JSON.stringify(payload)}\n\n`);
  const chunk = (text: string, finish: string | null) =>
    request.kind === 'chat'
      ? { id: meta.id, object: chunkObject, created: meta.created, model: meta.model, choices: [{ index: 0, delta: text ? { content: text } : {}, finish_reason: finish }] }
      : { id: meta.id, object: chunkObject, created: meta.created, model: meta.model, choices: [{ index: 0, text, finish_reason: finish }] };
  let result: InvocationResult | null = null;
  try {
    if (request.kind === 'chat') write({ id: meta.id, object: chunkObject, created: meta.created, model: meta.model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (let step = first; !step.done; step = await events.next()) {
      const event = step.value;
      if (event.type === 'delta') write(chunk(event.text, null));
      else {
        result = event.result;
        write(chunk('', openAIFinish(event.result.finishReason)));
        if (request.includeUsage) write({ id: meta.id, object: chunkObject, created: meta.created, model: meta.model, choices: [], usage: usageOf(event.result) });
      }
    }
    out.end('data: [DONE]\n\n');
  } catch (error) {
    // After tokens were sent the status is already 200: report in-band, as OpenAI does.
    const failure = isModelportError(error) ? error : new ModelportError('internal_error', 'internal error');
    if (!out.destroyed) out.end(`data: ${JSON.stringify({ error: { message: failure.code === 'internal_error' ? 'internal error' : failure.message, type: 'upstream_error', code: failure.code, param: null } })}\n\n`);
    cleanup();
    return { success: false, errorCode: failure.code, usage: null, costUsd: 0, ttftMs: null, interTokenMs: null, latencyMs: 0, recorded: true };
  }
  cleanup();
  if (result === null) return { success: false, errorCode: 'platform_api_error', usage: null, costUsd: 0, ttftMs: null, interTokenMs: null, latencyMs: 0, recorded: true };
  return outcomeOf(result);
}

function outcomeOf(result: InvocationResult): AttemptOutcome {
  return {
    success: true,
    errorCode: null,
    usage: result.usage,
    costUsd: result.costUsd,
    ttftMs: result.ttftMs,
    interTokenMs: result.interTokenMs,
    latencyMs: result.latencyMs,
    recorded: true,
  };
}

function usageOf(result: InvocationResult) {
  return {
    prompt_tokens: result.usage.inputTokens,
    completion_tokens: result.usage.outputTokens,
    total_tokens: result.usage.inputTokens + result.usage.outputTokens,
  };
}

function openAIFinish(reason: FinishReason): string {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stopOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
