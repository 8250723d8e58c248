import { PlatformApiError, TimeoutError } from '../../core/errors/index.js';
import type { FinishReason, InvokeEvent, InvokeRequest, Usage } from '../../core/invocation.js';
import type { ConnectorContext } from '../connector.js';
import { readSseEvents } from '../http/sse.js';
import { estimateTokens } from '../openai-upstream/token-estimate.js';
import {
  isTerminalPredictionStatus,
  predictionErrorText,
  predictionOutputText,
  ReplicateStreamDoneSchema,
  ReplicateStreamErrorSchema,
  type ReplicatePrediction,
} from './replicate-api.js';
import { REPLICATE_PLATFORM, type ReplicateClient } from './replicate-client.js';
import { buildPredictionInput, promptParts } from './replicate-input.js';
import type { ReplicateOptions } from './replicate-options.js';

/**
 * One inference on a deployment: create a prediction (once — a repeat would bill twice), read its SSE
 * stream (`output` tokens, `error`, `done`), then read the finished prediction for token counts and
 * timings. When the stream is missing or breaks, the prediction is polled to its end instead and the
 * text not yet delivered is emitted, so a cut connection does not lose the answer. A prediction this
 * call abandons (abort, timeout, error) is cancelled so it stops billing.
 */

export interface InvokeDeps {
  client: ReplicateClient;
  /** A client whose calls are not tied to the caller's signal, for cancelling after an abort. */
  detachedClient: () => ReplicateClient;
  context: ConnectorContext;
}

type StreamOutcome = { kind: 'done'; reason: string | null; error: string | null } | { kind: 'incomplete' };

const POLL_START_MS = 250;
const POLL_MAX_MS = 2_000;
/** After `done`, how long metrics may take to appear before usage is estimated instead. */
const SETTLE_GRACE_MS = 3_000;
/** Replicate's minimum Cancel-After. */
const MIN_CANCEL_AFTER_SECONDS = 5;

export async function* invokeReplicate(
  deps: InvokeDeps,
  target: { owner: string; name: string },
  request: InvokeRequest,
  options: ReplicateOptions,
  requestMs: number,
): AsyncGenerator<InvokeEvent, void, undefined> {
  const { client, context } = deps;
  const startedAt = context.clock.monotonic();
  const remainingMs = (): number => requestMs - (context.clock.monotonic() - startedAt);
  const input = buildPredictionInput(request, options);

  let predictionId: string | null = null;
  let emitted = '';
  let ended = false;
  let stream: AsyncGenerator<string, StreamOutcome> | null = null;
  try {
    const prediction = await client.createPrediction(
      target.owner,
      target.name,
      { input, stream: true },
      // Replicate stops (and stops billing) a prediction nobody waits for any more.
      { cancelAfterSeconds: Math.max(MIN_CANCEL_AFTER_SECONDS, Math.ceil(requestMs / 1000)), timeoutMs: Math.max(1, remainingMs()) },
    );
    predictionId = prediction.id;
    if (isTerminalPredictionStatus(prediction.status)) ended = true;

    let outcome: StreamOutcome = { kind: 'incomplete' };
    const streamUrl = prediction.urls?.stream;
    if (streamUrl) {
      stream = readStream(deps, streamUrl, remainingMs);
      for (;;) {
        const next = await stream.next();
        if (next.done) {
          outcome = next.value;
          break;
        }
        emitted += next.value;
        yield { type: 'delta', text: next.value };
      }
    }

    let final: ReplicatePrediction | null = null;
    if (outcome.kind === 'done') {
      // `done` means the prediction ended (succeeded, failed or canceled): nothing left to cancel.
      ended = true;
      final = await settle(deps, prediction.id, Math.min(SETTLE_GRACE_MS, Math.max(0, remainingMs())));
    } else {
      // No stream, or it broke before `done`: the prediction itself still has the whole answer.
      for await (const polled of pollUntilTerminal(deps, prediction.id, remainingMs, requestMs)) {
        final = polled;
        if (isTerminalPredictionStatus(polled.status)) ended = true;
        const text = predictionOutputText(polled.output);
        if (text.length > emitted.length && text.startsWith(emitted)) {
          const tail = text.slice(emitted.length);
          emitted = text;
          yield { type: 'delta', text: tail };
        }
      }
    }

    const streamError = outcome.kind === 'done' ? outcome.error : null;
    if (streamError !== null || (outcome.kind === 'done' && outcome.reason === 'error') || final?.status === 'failed') {
      const message = streamError ?? predictionErrorText(final?.error) ?? 'no error message given';
      throw new PlatformApiError(REPLICATE_PLATFORM, `prediction ${prediction.id} failed: ${message}`, undefined, {
        retryable: false,
        details: { predictionId: prediction.id },
      });
    }
    const canceled = (outcome.kind === 'done' && outcome.reason === 'canceled') || final?.status === 'canceled' || final?.status === 'aborted';
    yield doneEvent(request, options, emitted, final, canceled ? 'abort' : null);
    return;
  } catch (error) {
    if (!context.signal.aborted) throw error;
  } finally {
    // Closing the stream generator releases its connection when the consumer stops early.
    await stream?.return({ kind: 'incomplete' }).catch(() => undefined);
    if (!ended && predictionId !== null) await cancelQuietly(deps, predictionId);
  }
  // Aborted by the caller: the prediction is cancelled (above); meter what arrived, as estimated usage.
  yield doneEvent(request, options, emitted, null, 'abort');
}

/** Yields `output` texts; returns how the stream ended. Connection loss is not an error here: the caller polls. */
async function* readStream(deps: InvokeDeps, url: string, remainingMs: () => number): AsyncGenerator<string, StreamOutcome> {
  let response: Response;
  try {
    response = await deps.client.openStream(url, Math.max(1, remainingMs()));
  } catch (error) {
    if (isConnectionLoss(error)) return { kind: 'incomplete' };
    throw error;
  }
  let error: string | null = null;
  try {
    for await (const event of readSseEvents(response)) {
      switch (event.event) {
        case 'output':
          if (event.data !== '') yield event.data;
          break;
        case 'error':
          error = streamErrorMessage(event.data);
          break;
        case 'done':
          return { kind: 'done', reason: streamDoneReason(event.data), error };
        default:
          // `logs` and anything new are not part of the answer.
          break;
      }
    }
  } catch (thrown) {
    if (isConnectionLoss(thrown)) return error === null ? { kind: 'incomplete' } : { kind: 'done', reason: 'error', error };
    throw thrown;
  }
  return error === null ? { kind: 'incomplete' } : { kind: 'done', reason: 'error', error };
}

/** A lost or refused connection to the stream (not a deadline, not an abort, not a 4xx). */
function isConnectionLoss(error: unknown): boolean {
  return error instanceof PlatformApiError && error.retryable;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function streamErrorMessage(data: string): string {
  const parsed = ReplicateStreamErrorSchema.safeParse(parseJson(data));
  const message = parsed.success ? (parsed.data.detail ?? parsed.data.error) : null;
  return message || data || 'the model reported an error';
}

function streamDoneReason(data: string): string | null {
  const parsed = ReplicateStreamDoneSchema.safeParse(parseJson(data));
  return parsed.success ? (parsed.data.reason ?? null) : null;
}

/** Polls with growing gaps until the prediction ends; TimeoutError when the request's time runs out. */
async function* pollUntilTerminal(deps: InvokeDeps, id: string, remainingMs: () => number, requestMs: number): AsyncGenerator<ReplicatePrediction> {
  let gapMs = POLL_START_MS;
  for (;;) {
    const left = remainingMs();
    if (left <= 0) throw new TimeoutError(`replicate prediction ${id}`, requestMs);
    const prediction = await deps.client.getPrediction(id, { timeoutMs: Math.max(1, left) });
    if (!prediction) throw new PlatformApiError(REPLICATE_PLATFORM, `prediction ${id} disappeared while it ran`, 404, { retryable: false });
    yield prediction;
    if (isTerminalPredictionStatus(prediction.status)) return;
    await deps.context.clock.sleep(Math.min(gapMs, Math.max(0, remainingMs())), deps.context.signal);
    gapMs = Math.min(POLL_MAX_MS, gapMs * 2);
  }
}

/** The prediction once terminal (metrics appear then), or the last state seen within `graceMs`. */
async function settle(deps: InvokeDeps, id: string, graceMs: number): Promise<ReplicatePrediction | null> {
  const started = deps.context.clock.monotonic();
  let gapMs = 100;
  let last: ReplicatePrediction | null = null;
  for (;;) {
    const left = graceMs - (deps.context.clock.monotonic() - started);
    try {
      last = await deps.client.getPrediction(id, { timeoutMs: Math.max(250, left) });
    } catch (error) {
      // The answer is complete; only its accounting is missing. Estimate rather than fail the request.
      deps.context.logger.warn('replicate: could not read the finished prediction; usage will be estimated', { predictionId: id, error: String(error) });
      return last;
    }
    if (!last || isTerminalPredictionStatus(last.status) || left <= gapMs) return last;
    await deps.context.clock.sleep(gapMs, deps.context.signal);
    gapMs = Math.min(1_000, gapMs * 2);
  }
}

async function cancelQuietly(deps: InvokeDeps, id: string): Promise<void> {
  try {
    await deps.detachedClient().cancelPrediction(id);
  } catch (error) {
    deps.context.logger.warn('replicate: could not cancel an abandoned prediction; its Cancel-After deadline ends it', { predictionId: id, error: String(error) });
  }
}

function doneEvent(
  request: InvokeRequest,
  options: ReplicateOptions,
  text: string,
  final: ReplicatePrediction | null,
  forcedReason: FinishReason | null,
): InvokeEvent {
  const metrics = final?.metrics ?? undefined;
  const { prompt, system } = promptParts(request);
  const inputCount = metrics?.input_token_count;
  const outputCount = metrics?.output_token_count;
  const usage: Usage = {
    inputTokens: inputCount ?? estimateTokens(system === null ? prompt : `${system}\n\n${prompt}`),
    outputTokens: outputCount ?? estimateTokens(text),
    estimated: inputCount === undefined || outputCount === undefined,
  };
  // Replicate does not say why generation stopped; an exact count at the limit means the limit.
  const hitLimit = options.inputFields.maxTokens !== null && outputCount !== undefined && outputCount >= request.maxTokens;
  const finishReason: FinishReason = forcedReason ?? (hitLimit ? 'length' : 'stop');
  const timings: Record<string, number> = {};
  const toMs = (seconds: number | undefined): number | undefined => (seconds === undefined ? undefined : Math.round(seconds * 1000));
  const predictMs = toMs(metrics?.predict_time);
  const totalMs = toMs(metrics?.total_time);
  const ttftMs = toMs(metrics?.time_to_first_token);
  if (predictMs !== undefined) timings['predictMs'] = predictMs;
  if (totalMs !== undefined) timings['totalMs'] = totalMs;
  if (predictMs !== undefined && totalMs !== undefined) timings['queueMs'] = Math.max(0, totalMs - predictMs);
  if (ttftMs !== undefined) timings['timeToFirstTokenMs'] = ttftMs;
  return { type: 'done', usage, finishReason, ...(Object.keys(timings).length > 0 ? { providerTimings: timings } : {}) };
}
