import type { PlatformId } from '../core/platform-id.js';

/**
 * Where provider credentials come from. Environment values are read once at start-up; values stored
 * through the API (encrypted at rest) override them. Nothing here ever returns a value to an API client.
 */
export interface CredentialSource {
  /** Values for the given names; names without a value are absent. */
  resolve(names: readonly string[]): Record<string, string>;
  /** Every known secret value, for redaction of logs and errors. */
  secretValues(): string[];
}

/** Credential names each platform reads, besides the ones its connector lists as required. */
export const optionalCredentials: Partial<Record<PlatformId, string[]>> = {
  'openai-compatible': ['OPENAI_COMPATIBLE_API_KEY'],
};

export function createEnvCredentialSource(
  env: Record<string, string | undefined>,
  names: readonly string[],
  stored: () => Record<string, string> = () => ({}),
): CredentialSource {
  const fromEnv: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value) fromEnv[name] = value;
  }
  return {
    resolve(wanted) {
      const all = { ...fromEnv, ...stored() };
      return Object.fromEntries(wanted.flatMap((name) => (all[name] ? [[name, all[name]]] : [])));
    },
    secretValues: () => [...Object.values(fromEnv), ...Object.values(stored())],
  };
}
