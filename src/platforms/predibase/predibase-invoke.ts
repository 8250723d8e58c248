import { adaptersOf, type DeploymentSpec } from '../../core/deployment-spec.js';
import { PlatformApiError, ValidationError } from '../../core/errors/index.js';
import type { FinishReason, InvokeEvent, InvokeRequest } from '../../core/invocation.js';
import type { ConnectorContext } from '../connector.js';
import { invokeChatCompletion } from '../openai-upstream/openai-upstream.js';
import { mapOpenAIFinishReason } from '../openai-upstream/finish-reason.js';
import { maxStopSequences } from './predibase-validate.js';

/**
 * One inference on a Predibase deployment (private or shared) through LoRAX's OpenAI-compatible route.
 * The adapter is chosen per request by `model` (`repo/version`); an empty `model` means the base model,
 * which is what LoRAX documents (a short endpoint name would be taken for an adapter id).
 */

export interface PredibaseInvokeTarget {
  /** `…/deployments/v2/llms/{name}/v1`. */
  openAIBaseUrl: string;
  token: string;
  deploymentName: string;
}

/**
 * LoRAX reports a stop sequence as `content_filter` on its OpenAI routes (it never filters content), so
 * that word means "stop" here. Everything else reads like any OpenAI server (`eos_token` → stop).
 */
export function predibaseFinishReason(raw: string | null): FinishReason {
  if (raw?.toLowerCase() === 'content_filter') return 'stop';
  return mapOpenAIFinishReason(raw);
}

/** Where the spec says this adapter comes from; undefined leaves Predibase's default (its own repos). */
function adapterSourceOf(spec: DeploymentSpec, adapterId: string): string | undefined {
  return adaptersOf(spec).find((adapter) => adapter.id === adapterId)?.source;
}

/** Strips the `predibase: ` prefix a wrapped error already carries, so it is not said twice. */
function innerMessage(error: PlatformApiError): string {
  return error.message.replace(/^predibase:\s*/, '');
}

/**
 * LoRAX answers 424 when generation failed before it began; for an adapter that almost always means it
 * could not be fetched or loaded. Repeating the request cannot help until the adapter is fixed.
 */
function adapterLoadError(error: PlatformApiError, adapterId: string | null, deploymentName: string): PlatformApiError {
  const what =
    adapterId === null
      ? `generation failed on deployment '${deploymentName}' before it began`
      : `adapter '${adapterId}' could not be loaded on deployment '${deploymentName}': check that it exists as repo/version, ` +
        'was trained on this base model, and that the token may read it';
  return new PlatformApiError('predibase', `${what} (${innerMessage(error)})`, 424, {
    retryable: false,
    cause: error,
    details: { reason: adapterId === null ? 'generation_failed' : 'adapter_load_failed', ...(adapterId === null ? {} : { adapterId }) },
  });
}

export async function* invokePredibase(
  target: PredibaseInvokeTarget,
  spec: DeploymentSpec,
  request: InvokeRequest,
  context: ConnectorContext,
): AsyncGenerator<InvokeEvent, void, undefined> {
  if (request.stop.length > maxStopSequences) {
    throw new ValidationError(`Predibase (LoRAX) accepts at most ${maxStopSequences} stop sequences`, [
      { path: 'stop', message: `at most ${maxStopSequences} stop sequences` },
    ]);
  }
  const adapterId = request.adapterId;
  const source = adapterId === null ? undefined : adapterSourceOf(spec, adapterId);
  const events = invokeChatCompletion({ platform: 'predibase', baseUrl: target.openAIBaseUrl, apiKey: target.token }, request, {
    model: adapterId ?? '',
    context,
    timeoutMs: spec.timeouts.requestMs,
    ...(source === undefined ? {} : { extraBody: { adapter_source: source } }),
    mapFinishReason: predibaseFinishReason,
  });
  try {
    yield* events;
  } catch (error) {
    if (error instanceof PlatformApiError && error.status === 424) throw adapterLoadError(error, adapterId, target.deploymentName);
    throw error;
  }
}
