import type { PlatformId } from '../core/platform-id.js';

/**
 * Where provider credentials come from: values stored through the API (encrypted at rest) win over
 * the environment. Nothing here ever returns a value to an API client.
 */
export interface CredentialSource {
  /** Values for the given names; names without a value are absent. */
  resolve(names: readonly string[]): Record<string, string>;
  /** Names with a value in the environment (for listing, never the values). */
  environmentNames(): string[];
  /** Every known secret value, for redaction of logs and errors. */
  secretValues(): string[];
}

/** Credential names each platform reads besides the ones its connector requires. */
export const optionalCredentials: Partial<Record<PlatformId, string[]>> = {
  'openai-compatible': ['OPENAI_COMPATIBLE_API_KEY'],
  together: ['HF_TOKEN'],
  modal: ['MODAL_PROXY_TOKEN_ID', 'MODAL_PROXY_TOKEN_SECRET'],
};

/**
 * Whether a deployment may name this credential itself (openai-compatible `apiKeyEnv`). A user-chosen
 * name must not reach modelport's own secrets or another platform's key: the value is sent as a bearer
 * token to a URL the user picked.
 */
export function isUserNamedCredential(name: string, platformCredentials: ReadonlySet<string>): boolean {
  return /^[A-Z][A-Z0-9_]*_(API_KEY|KEY|TOKEN)$/.test(name) && !name.startsWith('MODELPORT_') && !platformCredentials.has(name);
}

export function createCredentialSource(env: Record<string, string | undefined>, stored: () => Record<string, string> = () => ({})): CredentialSource {
  const fromEnvironment = (name: string) => {
    const value = env[name];
    return value ? value : undefined;
  };
  // The environment does not change while the process runs; the logger asks for secrets on every line.
  const credentialLikeNames = Object.keys(env).filter(
    (name) => /_(API_KEY|KEY|TOKEN|SECRET|TOKEN_ID|TOKEN_SECRET)$/.test(name) && !name.startsWith('MODELPORT_') && Boolean(env[name]),
  );
  const environmentValues = credentialLikeNames.map((name) => env[name] ?? '');
  const environmentNames = () => credentialLikeNames;
  return {
    resolve(wanted) {
      const values = stored();
      const resolved: Record<string, string> = {};
      for (const name of wanted) {
        const value = values[name] ?? fromEnvironment(name);
        if (value) resolved[name] = value;
      }
      return resolved;
    },
    environmentNames,
    secretValues: () => [...Object.values(stored()), ...environmentValues],
  };
}
