import type { Deployment } from '../core/deployment.js';
import type { PlatformId } from '../core/platform-id.js';
import { DEFAULT_API_KEY_CREDENTIAL, parseOpenAICompatibleOptions } from '../platforms/openai-compatible/openai-compatible-options.js';

/**
 * Where the gateway can forward an OpenAI request byte for byte instead of going through the
 * connector's invoke (which parses and re-encodes every token). Only platforms whose inference API is
 * OpenAI's own chat completions qualify.
 */
export interface PassthroughTarget {
  /** Platform id, prefix of error messages. */
  platform: string;
  /** `<base>/chat/completions`. */
  chatUrl: URL;
  /** Sent with every request (authorization). Never logged. */
  headers: Record<string, string>;
  /** The `model` the upstream expects for an adapter (null = the base model). */
  modelFor(adapterId: string | null): string;
}

/** Builds a deployment's passthrough target from its spec and resolved credentials; null = not possible. */
export type PassthroughResolver = (deployment: Deployment, credentials: Record<string, string>) => PassthroughTarget | null;

/**
 * openai-compatible: the user's own vLLM / LoRAX / Ollama server; adapters are picked by `model`,
 * exactly as the connector's invoke does.
 */
export const openAICompatiblePassthrough: PassthroughResolver = (deployment, credentials): PassthroughTarget | null => {
  const parsed = parseOpenAICompatibleOptions(deployment.config.platformOptions);
  if (!parsed.ok) return null;
  const apiKey = credentials[parsed.options.apiKeyEnv ?? DEFAULT_API_KEY_CREDENTIAL];
  // A key the user named must exist; let the connector path report that properly.
  if (parsed.options.apiKeyEnv !== undefined && !apiKey) return null;
  let chatUrl: URL;
  try {
    chatUrl = new URL(`${parsed.options.baseUrl.replace(/\/+$/, '')}/chat/completions`);
  } catch {
    return null;
  }
  if (chatUrl.protocol !== 'http:' && chatUrl.protocol !== 'https:') return null;
  const baseModel = deployment.config.baseModel;
  return {
    platform: 'openai-compatible',
    chatUrl,
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : ({} as Record<string, string>),
    modelFor: (adapterId) => adapterId ?? baseModel,
  };
};

/** The resolvers modelport ships; other platforms go through their connector. */
export const defaultPassthroughResolvers: Partial<Record<PlatformId, PassthroughResolver>> = {
  'openai-compatible': openAICompatiblePassthrough,
};
