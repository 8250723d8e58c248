import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors/index.js';
import type { Clock, Logger } from '../../platforms/connector.js';
import type { ApiTokenRecord, Store, TokenRateLimit } from '../../store/store.js';
import { parseInput } from '../parse-input.js';
import { roles, type Role } from './roles.js';

/** Gateway requests per minute for one token, counted across every modelport process on the database. */
export const TokenRateLimitSchema = z
  .strictObject({ requestsPerMinute: z.number().int().min(1).max(1_000_000) })
  .meta({ id: 'TokenRateLimit', description: 'Gateway requests (/v1/chat/completions, /v1/completions) per minute, across all processes' });

export const NewTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).regex(/^[\w .@:-]+$/, 'letters, digits, spaces and . _ @ : -'),
  role: z.enum(roles),
  /** Omitted or null: unlimited. */
  rateLimit: TokenRateLimitSchema.nullable().optional(),
});

export const TokenChangesSchema = z.strictObject({
  /** null removes the limit. */
  rateLimit: TokenRateLimitSchema.nullable().optional(),
});

/** Who is calling: a stored token, the bootstrap admin token from the environment, or nobody (auth off). */
export interface Principal {
  tokenId: string | null;
  name: string;
  role: Role;
  /** The token's gateway rate limit as this process last loaded it; null = none. */
  rateLimit: TokenRateLimit | null;
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
  // One principal object per live token, built at refresh: authentication allocates nothing.
  let principals = new Map<string, Principal>();
  const pendingUses = new Map<string, string>();
  const bootstrapHash = deps.bootstrapAdminToken ? hashSecret(deps.bootstrapAdminToken) : null;

  async function refresh(): Promise<void> {
    const next = new Map<string, ApiTokenRecord>();
    const nextPrincipals = new Map<string, Principal>();
    for (const token of await deps.store.apiTokens.list()) {
      if (token.revokedAt) continue;
      next.set(token.secretHash, token);
      nextPrincipals.set(token.id, Object.freeze({ tokenId: token.id, name: token.name, role: token.role, rateLimit: token.rateLimit }));
    }
    byHash = next;
    principals = nextPrincipals;
  }

  return {
    refresh,
    /** True when requests must carry a token: one exists in the store or the environment. */
    isEnforced: () => bootstrapHash !== null || byHash.size > 0,

    authenticate(secret: string): Principal | null {
      const hash = hashSecret(secret);
      if (bootstrapHash && timingSafeEqual(Buffer.from(hash), Buffer.from(bootstrapHash))) return bootstrapAdmin;
      const token = byHash.get(hash);
      if (!token) return null;
      pendingUses.set(token.id, new Date(deps.clock.now()).toISOString());
      return principals.get(token.id) ?? null;
    },

    async create(input: unknown): Promise<{ token: TokenView; secret: string }> {
      const { name, role, rateLimit } = parseInput(NewTokenSchema, input, 'token');
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
        rateLimit: rateLimit ?? null,
      };
      await deps.store.apiTokens.insert(record);
      await refresh();
      return { token: view(record), secret };
    },

    async list(): Promise<TokenView[]> {
      await flushUses();
      return (await deps.store.apiTokens.list()).map(view);
    },

    /** Changes a token's settings (its secret and role never change). Throws NotFoundError. */
    async update(id: string, input: unknown): Promise<TokenView> {
      const changes = parseInput(TokenChangesSchema, input, 'token changes');
      const current = (await deps.store.apiTokens.list()).find((token) => token.id === id);
      if (current === undefined) throw new NotFoundError('token', id);
      if (changes.rateLimit === undefined) return view(current);
      const updated = await deps.store.apiTokens.update(id, { rateLimit: changes.rateLimit });
      if (updated === null) throw new NotFoundError('token', id);
      await refresh();
      return view(updated);
    },

    /** Whether a live (not revoked) token has this name: what token budgets are set on. */
    async hasActiveToken(name: string): Promise<boolean> {
      return (await deps.store.apiTokens.list()).some((token) => token.name === name && token.revokedAt === null);
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

const bootstrapAdmin: Principal = Object.freeze({ tokenId: null, name: 'bootstrap-admin', role: 'admin', rateLimit: null });

function view(record: ApiTokenRecord): TokenView {
  const { secretHash: _hash, ...rest } = record;
  return rest;
}
