import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors/index.js';
import type { Clock, Logger } from '../../platforms/connector.js';
import type { ApiTokenRecord, Store } from '../../store/store.js';
import { parseInput } from '../parse-input.js';
import { roles, type Role } from './roles.js';

export const NewTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).regex(/^[\w .@:-]+$/, 'letters, digits, spaces and . _ @ : -'),
  role: z.enum(roles),
});

/** Who is calling: a stored token, the bootstrap admin token from the environment, or nobody (auth off). */
export interface Principal {
  tokenId: string | null;
  name: string;
  role: Role;
}

export type TokenView = Omit<ApiTokenRecord, 'secretHash'>;

const secretPrefix = 'mp_';

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * API tokens. Secrets are random 256-bit strings, so a plain SHA-256 is enough to store them; only the
 * hash is kept and the secret is shown once. Authentication reads an in-memory map (no database round
 * trip per request); `last used` is batched to the store.
 */
export function createTokenService(deps: { store: Store; clock: Clock; logger: Logger; bootstrapAdminToken?: string | undefined }) {
  let byHash = new Map<string, ApiTokenRecord>();
  const pendingUses = new Map<string, string>();
  const bootstrapHash = deps.bootstrapAdminToken ? hashSecret(deps.bootstrapAdminToken) : null;

  async function refresh(): Promise<void> {
    const next = new Map<string, ApiTokenRecord>();
    for (const token of await deps.store.apiTokens.list()) if (!token.revokedAt) next.set(token.secretHash, token);
    byHash = next;
  }

  return {
    refresh,
    /** True when requests must carry a token: one exists in the store or the environment. */
    isEnforced: () => bootstrapHash !== null || byHash.size > 0,

    authenticate(secret: string): Principal | null {
      const hash = hashSecret(secret);
      if (bootstrapHash && timingSafeEqual(Buffer.from(hash), Buffer.from(bootstrapHash))) return { tokenId: null, name: 'bootstrap-admin', role: 'admin' };
      const token = byHash.get(hash);
      if (!token) return null;
      pendingUses.set(token.id, new Date(deps.clock.now()).toISOString());
      return { tokenId: token.id, name: token.name, role: token.role };
    },

    async create(input: unknown): Promise<{ token: TokenView; secret: string }> {
      const { name, role } = parseInput(NewTokenSchema, input, 'token');
      const secret = `${secretPrefix}${randomBytes(32).toString('base64url')}`;
      const record: ApiTokenRecord = {
        id: randomUUID(),
        name,
        role,
        secretHash: hashSecret(secret),
        prefix: secret.slice(0, 8),
        createdAt: new Date(deps.clock.now()).toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      };
      await deps.store.apiTokens.insert(record);
      await refresh();
      return { token: view(record), secret };
    },

    async list(): Promise<TokenView[]> {
      await flushUses();
      return (await deps.store.apiTokens.list()).map(view);
    },

    async revoke(id: string): Promise<void> {
      if (!(await deps.store.apiTokens.revoke(id, new Date(deps.clock.now()).toISOString()))) throw new NotFoundError('token', id);
      await refresh();
    },

    flushUses,
  };

  async function flushUses(): Promise<void> {
    if (pendingUses.size === 0) return;
    const uses = [...pendingUses].map(([id, at]) => ({ id, at }));
    pendingUses.clear();
    try {
      await deps.store.apiTokens.touch(uses);
    } catch (error) {
      deps.logger.warn('could not record token use', { error });
    }
  }
}

export type TokenService = ReturnType<typeof createTokenService>;

function view(record: ApiTokenRecord): TokenView {
  const { secretHash: _hash, ...rest } = record;
  return rest;
}
