import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ModelportError } from '../core/errors/index.js';
import { can, type Permission, type Role } from '../services/auth/roles.js';
import type { Principal, TokenService } from '../services/auth/token-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; set by the auth hook on every protected route. */
    principal: Principal | null;
  }
}

/** Used when no token exists at all: the server runs open, which it only may on loopback. */
const anonymous: Principal = { tokenId: null, name: 'user', role: 'admin', rateLimit: null };

const administer: readonly Permission[] = ['administer'];
const deploy: readonly Permission[] = ['deploy'];
const read: readonly Permission[] = ['read'];
const invoke: readonly Permission[] = ['invoke'];
// Listing models is reading (viewers keep it) and part of calling them (invokers need it).
const readOrInvoke: readonly Permission[] = ['read', 'invoke'];

/** The permissions a request may be made with (any one of them suffices), or null for public paths (health, docs, the UI's files). */
export function requiredPermission(method: string, url: string): readonly Permission[] | null {
  const path = url.split('?')[0] ?? url;
  const reading = method === 'GET' || method === 'HEAD';
  if (path.startsWith('/api/tokens') || path.startsWith('/api/credentials')) return administer;
  if (path.startsWith('/api/')) return reading ? read : deploy;
  if (path.startsWith('/v1/')) return reading ? readOrInvoke : invoke;
  if (path === '/metrics') return read;
  return null;
}

/** Bearer-token authentication and role checks for every route, registered once on the root app. */
export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    // Decide on the route the router matched, never on the raw URL: `/%61pi/tokens` is routed to
    // `/api/tokens` after decoding. Unmatched requests (404s) fall back to the decoded path.
    const permissions = requiredPermission(request.method, request.routeOptions.url ?? decodedPath(request.url));
    if (permissions === null) return;
    request.principal = authorize(tokens, request.headers.authorization, permissions);
  });
}

/**
 * Who `authorization` (the header's value) speaks for, if that principal holds one of `permissions`.
 * Throws `unauthorized` or `forbidden`. Without stored tokens the server is open: everyone is admin.
 */
export function authorize(tokens: Pick<TokenService, 'isEnforced' | 'authenticate'>, authorization: string | undefined, permissions: readonly Permission[]): Principal {
  if (!tokens.isEnforced()) return anonymous;
  const secret = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : null;
  if (!secret) throw new ModelportError('unauthorized', 'this server requires an API token: send Authorization: Bearer <token> (create one with `modelport token create`)');
  const principal = tokens.authenticate(secret);
  if (!principal) throw new ModelportError('unauthorized', 'the API token is unknown or revoked');
  if (!permissions.some((permission) => can(principal.role, permission))) throw new ModelportError('forbidden', refusal(principal.role, permissions));
  return principal;
}

/** Why a role may not do this, and which token to ask for instead. */
function refusal(role: Role, permissions: readonly Permission[]): string {
  const token = `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role} token`;
  if (permissions.includes('administer')) return `${token} cannot manage tokens or credentials; ask an admin for an admin token`;
  if (role === 'invoker') return `${token} can only call the gateway (/v1); ask an admin for a ${permissions.includes('deploy') ? 'deployer' : 'viewer'} token`;
  if (permissions.includes('invoke')) return `${token} cannot call the gateway; ask an admin for an invoker or deployer token`;
  return `${token} cannot change anything; ask an admin for a deployer token`;
}

/** The name written into events for changes this request makes. */
export function actorOf(request: FastifyRequest): { name: string } {
  return { name: request.principal?.name ?? 'user' };
}

function decodedPath(url: string): string {
  const path = url.split('?')[0] ?? url;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
