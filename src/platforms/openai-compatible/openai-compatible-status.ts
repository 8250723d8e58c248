import { isModelportError } from '../../core/errors/index.js';
import type { Observation } from '../connector.js';
import type { UpstreamModelListing } from '../openai-upstream/openai-upstream.js';
import { describeOffered, missingModels } from './openai-compatible-verify.js';

/**
 * Turns what GET /models said into a phase. modelport does not run the server, so it never reports
 * `failed` or `provisioning`: the server is either answering (`ready`) or not right now (`degraded`).
 * A network blip, a 5xx, a rejected key or a model that went missing all read as degraded, with the
 * reason in `message`; deploy-time errors are caught by apply, which verifies before returning.
 */
export function observationFromListing(listing: UpstreamModelListing, required: readonly string[], baseUrl: string): Observation {
  if (!listing.listed) {
    return { phase: 'ready', endpointUrl: baseUrl, providerStatus: `answering (no model list, HTTP ${listing.status})` };
  }
  const missing = missingModels(required, listing.models);
  if (missing.length > 0) {
    return {
      phase: 'degraded',
      endpointUrl: baseUrl,
      providerStatus: 'model-missing',
      message: `the server no longer lists ${missing.join(', ')}; it offers: ${describeOffered(listing.models)}`,
    };
  }
  return { phase: 'ready', endpointUrl: baseUrl, providerStatus: 'serving' };
}

export function observationFromError(error: unknown, baseUrl: string): Observation {
  const message = isModelportError(error) ? error.message : 'the server did not answer';
  const providerStatus = isModelportError(error) && error.code === 'platform_auth_failed' ? 'unauthorized' : 'unreachable';
  return { phase: 'degraded', endpointUrl: baseUrl, providerStatus, message };
}
