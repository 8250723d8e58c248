import { PlatformApiError, PlatformAuthError, isModelportError } from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';
import type { ReplicateClient } from './replicate-client.js';
import { warmupInput } from './replicate-input.js';
import type { ReplicateOptions } from './replicate-options.js';
import type { WarmupRecord } from './replicate-ref.js';

/**
 * Warm-up predictions: the only readiness signal Replicate offers. Each one is billed (setup time of a
 * deployment is billed anyway; the prediction itself is one token), so there is at most one per release:
 * its id travels in the provider reference and is also remembered here, so a poll reads it
 * (`GET /predictions/{id}`) instead of creating another.
 */

export type WarmupEntry = { kind: 'record'; record: WarmupRecord } | { kind: 'rejected'; message: string };

/** In-memory warm-ups by deployment and release. Lost on restart: then at most one new warm-up per release. */
export class WarmupRegistry {
  private readonly entries = new Map<string, WarmupEntry>();

  private static key(owner: string, name: string, releaseKey: string): string {
    return `${owner}/${name}|${releaseKey}`;
  }

  get(owner: string, name: string, releaseKey: string): WarmupEntry | undefined {
    return this.entries.get(WarmupRegistry.key(owner, name, releaseKey));
  }

  set(owner: string, name: string, releaseKey: string, entry: WarmupEntry): void {
    this.entries.set(WarmupRegistry.key(owner, name, releaseKey), entry);
  }

  /** Drops every warm-up of a deployment: after a stop its instances are gone. */
  forget(owner: string, name: string): void {
    const prefix = `${owner}/${name}|`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

/**
 * Sends the warm-up prediction for a release. Never repeated (a POST bills); Cancel-After equals the
 * cold-boot budget so Replicate itself aborts it if no instance comes up in time.
 * Returns null when it could not be sent for a transient reason (the next observe tries again);
 * a refusal of the input (4xx) is remembered, because sending it again cannot succeed.
 */
export async function startWarmup(args: {
  client: ReplicateClient;
  context: ConnectorContext;
  registry: WarmupRegistry;
  owner: string;
  name: string;
  releaseKey: string;
  options: ReplicateOptions;
}): Promise<WarmupEntry | null> {
  const { client, context, registry, owner, name, releaseKey, options } = args;
  try {
    const prediction = await client.createPrediction(owner, name, { input: warmupInput(options) }, { cancelAfterSeconds: options.coldBootBudgetSeconds });
    const entry: WarmupEntry = { kind: 'record', record: { predictionId: prediction.id, createdAt: context.clock.now(), releaseKey } };
    registry.set(owner, name, releaseKey, entry);
    return entry;
  } catch (error) {
    if (error instanceof PlatformAuthError) throw error;
    if (error instanceof PlatformApiError && error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 409) {
      const entry: WarmupEntry = { kind: 'rejected', message: error.message };
      registry.set(owner, name, releaseKey, entry);
      return entry;
    }
    if (!isModelportError(error) || !error.retryable) throw error;
    context.logger.warn('replicate: could not send the warm-up prediction; the next observe retries', {
      deployment: `${owner}/${name}`,
      error: error.message,
    });
    return null;
  }
}
