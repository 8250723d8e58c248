import { PlatformApiError } from '../../core/errors/index.js';
import { adaptersOf, type DeploymentSpec } from '../../core/deployment-spec.js';
import type { ConnectorContext } from '../connector.js';
import {
  invokeChatCompletion,
  probeUpstreamModels,
  type OpenAIUpstreamTarget,
  type UpstreamModelListing,
} from '../openai-upstream/openai-upstream.js';
import type { OpenAICompatibleOptions } from './openai-compatible-options.js';

/**
 * Checks that a self-hosted server serves what a deployment asks for. Attaching creates nothing, so
 * this check is the whole of "deploy".
 */

/** How many offered model names an error message or a ProviderRef lists before "…and N more". */
const MAX_LISTED = 20;

export interface ServerVerification {
  /** False when the server has no GET /models (LoRAX): the base model was checked with a 1-token request. */
  listed: boolean;
  /** What GET /models listed (empty when not listed), at most 100 names. */
  offered: string[];
}

/** Names of the models the deployment needs: the base model, and its adapters when they are checked. */
export function requiredModels(spec: DeploymentSpec, options: Pick<OpenAICompatibleOptions, 'verifyAdapters'>): string[] {
  return [spec.baseModel, ...(options.verifyAdapters ? adaptersOf(spec).map((adapter) => adapter.id) : [])];
}

/** Ollama lists `llama3:latest` and answers to `llama3`: both spellings count as served. */
export function isServed(model: string, offered: readonly string[]): boolean {
  return offered.includes(model) || (!model.includes(':') && offered.includes(`${model}:latest`));
}

export function missingModels(required: readonly string[], offered: readonly string[]): string[] {
  return required.filter((model) => !isServed(model, offered));
}

export function describeOffered(offered: readonly string[]): string {
  if (offered.length === 0) return 'nothing';
  const shown = offered.slice(0, MAX_LISTED).join(', ');
  return offered.length > MAX_LISTED ? `${shown} …and ${offered.length - MAX_LISTED} more` : shown;
}

/**
 * Verifies the server answers and serves the base model (and adapters, when checked). Throws a
 * non-retryable PlatformApiError naming what is missing and what the server offers; connection and
 * server errors propagate as provider-http raised them (retryable where repeating may help).
 */
export async function verifyServer(
  target: OpenAIUpstreamTarget,
  spec: DeploymentSpec,
  options: OpenAICompatibleOptions,
  context: ConnectorContext,
): Promise<ServerVerification> {
  let listing: UpstreamModelListing;
  try {
    listing = await probeUpstreamModels(target, context);
  } catch (error) {
    throw withBaseUrlHint(error, target);
  }
  if (listing.listed) {
    const missing = missingModels(requiredModels(spec, options), listing.models);
    if (missing.length > 0) {
      throw new PlatformApiError(
        target.platform,
        `the server at ${target.baseUrl} does not serve ${missing.map((model) => `'${model}'`).join(', ')}; it offers: ${describeOffered(listing.models)}` +
          (options.verifyAdapters && missing.some((model) => model !== spec.baseModel)
            ? ' (if it loads adapters on demand, set platformOptions.verifyAdapters to false)'
            : ''),
        undefined,
        { retryable: false, details: { missing, offered: listing.models.slice(0, 100) } },
      );
    }
    return { listed: true, offered: listing.models.slice(0, 100) };
  }
  // No listing (LoRAX): ask the base model for one token, which proves both the URL and the model.
  try {
    for await (const _event of invokeChatCompletion(
      target,
      { prompt: 'ping', adapterId: null, maxTokens: 1, temperature: 0, topP: 1, stop: [] },
      { model: spec.baseModel, context, timeoutMs: spec.timeouts.requestMs },
    )) {
      // Drained only to prove the server answers.
    }
  } catch (error) {
    throw withBaseUrlHint(error, target);
  }
  return { listed: false, offered: [] };
}

/** A 404 on a base URL without `/v1` is almost always the missing suffix. */
function withBaseUrlHint(error: unknown, target: OpenAIUpstreamTarget): unknown {
  if (!(error instanceof PlatformApiError) || error.status !== 404 || /\/v\d+\/?$/.test(target.baseUrl)) return error;
  const original = error.message.startsWith(`${target.platform}: `) ? error.message.slice(target.platform.length + 2) : error.message;
  return new PlatformApiError(
    target.platform,
    `${original} (the base URL usually ends with /v1, e.g. ${target.baseUrl.replace(/\/+$/, '')}/v1)`,
    404,
    { retryable: false, cause: error },
  );
}
