import { z } from 'zod';
import { UnsupportedCapabilityError, NotFoundError } from '../core/errors/index.js';
import type { Clock, Logger } from '../platforms/connector.js';
import type { Store } from '../store/store.js';
import { parseInput } from './parse-input.js';
import type { SecretBox } from './secret-box.js';

export const CredentialNameSchema = z.string().regex(/^[A-Z][A-Z0-9_]{1,127}$/, 'credential names are upper-case environment-style names, e.g. TOGETHER_API_KEY');
export const CredentialValueSchema = z.strictObject({ value: z.string().min(1).max(16_384) });

export interface CredentialSummary {
  name: string;
  /** Where the value in use comes from: stored through the API wins over the environment. */
  source: 'stored' | 'environment';
  updatedAt: string | null;
  /** Platforms that read this credential. */
  usedBy: string[];
}

/**
 * Credentials stored through the API: sealed with AES-256-GCM before they reach the store, opened into
 * memory, never returned by any endpoint. Other replicas see changes on their next refresh.
 */
export function createCredentialService(deps: {
  store: Store;
  box: SecretBox | null;
  clock: Clock;
  logger: Logger;
  /** Credential names set in the environment. */
  environment: () => string[];
  usedBy: (name: string) => string[];
}) {
  let stored: Record<string, { value: string; updatedAt: string }> = {};

  async function refresh(): Promise<void> {
    const next: typeof stored = {};
    for (const row of await deps.store.credentials.list()) {
      if (!deps.box) {
        deps.logger.warn('a stored credential cannot be read: MODELPORT_SECRET_KEY is not set', { name: row.name });
        continue;
      }
      try {
        next[row.name] = { value: deps.box.open(row.ciphertext, row.name), updatedAt: row.updatedAt };
      } catch {
        deps.logger.error('a stored credential cannot be opened with the current MODELPORT_SECRET_KEY', { name: row.name });
      }
    }
    stored = next;
  }

  function requireBox(): SecretBox {
    if (!deps.box) throw new UnsupportedCapabilityError('this server', 'storing credentials', 'set MODELPORT_SECRET_KEY (32 random bytes, e.g. `openssl rand -base64 32`) and restart; or set the credential in the environment');
    return deps.box;
  }

  return {
    refresh,
    /** Plain stored values, for the credential source. */
    values: (): Record<string, string> => Object.fromEntries(Object.entries(stored).map(([name, entry]) => [name, entry.value])),
    list(): CredentialSummary[] {
      const environment = deps.environment();
      const names = new Set([...environment, ...Object.keys(stored)]);
      return [...names].sort().map((name) => ({
        name,
        source: stored[name] ? 'stored' : 'environment',
        updatedAt: stored[name]?.updatedAt ?? null,
        usedBy: deps.usedBy(name),
      }));
    },
    async put(name: unknown, body: unknown): Promise<void> {
      const validName = parseInput(CredentialNameSchema, name, 'credential name');
      const { value } = parseInput(CredentialValueSchema, body, 'credential');
      await deps.store.credentials.put(validName, requireBox().seal(value, validName), new Date(deps.clock.now()).toISOString());
      await refresh();
    },
    async delete(name: string): Promise<void> {
      if (!(await deps.store.credentials.delete(name))) throw new NotFoundError('stored credential', name);
      await refresh();
    },
  };
}

export type CredentialService = ReturnType<typeof createCredentialService>;
