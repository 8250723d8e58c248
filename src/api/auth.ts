import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ModelportError } from '../core/errors/index.js';
import { can, type Permission } from '../services/auth/roles.js';
import type { Principal, TokenService } from '../services/auth/token-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; set by the auth hook on every protected route. */
    principal: Principal | null;
  }
}

/** Used when no token exists at all: the server runs open, which it only may on loopback. */
const anonymous: Principal = { tokenId: null, name: 'user', role: 'admin' };

/** The permission a request needs, or null for public paths (health, docs, the UI's files). */
export function requiredPermission(method: string, url: string): Permission | null {
  const path = url.split('?')[0] ?? url;
  const reading = method === 'GET' || method === 'HEAD';
  if (path.startsWith('/api/tokens') || path.startsWith('/api/credentials')) return 'administer';
  if (path.startsWith('/api/')) return reading ? 'read' : 'deploy';
  if (path.startsWith('/v1/')) return reading ? 'read' : 'deploy';
  if (path === '/metrics') return 'read';
  return null;
}

/** Bearer-token authentication and role checks for every route, registered once on the root app. */
export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    // Decide on the route the router matched, never on the raw URL: `/%61pi/tokens` is routed to
    // `/api/tokens` after decoding. Unmatched requests (404s) fall back to the decoded path.
    const permission = requiredPermission(request.method, request.routeOptions.url ?? decodedPath(request.url));
    if (permission === null) return;
    if (!tokens.isEnforced()) {
      request.principal = anonymous;
      return;
    }
    const header = request.headers.authorization;
    const secret = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : null;
    if (!secret) throw new ModelportError('unauthorized', 'this server requires an API token: send Authorization: Bearer <token> (create one with `modelport token create`)');
    const principal = tokens.authenticate(secret);
    if (!principal) throw new ModelportError('unauthorized', 'the API token is unknown or revoked');
    if (!can(principal.role, permission)) {
      throw new ModelportError('forbidden', `a ${principal.role} token cannot ${permission === 'administer' ? 'manage tokens or credentials' : 'change anything'}; ask an admin for a ${permission === 'administer' ? 'admin' : 'deployer'} token`);
    }
    request.principal = principal;
  });
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
