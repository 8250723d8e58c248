import { describe, expect, it } from 'vitest';
import { can, roles, type Role } from '../services/auth/roles.js';
import { requiredPermission } from './auth.js';

/** Whether `role` may make this request, by the same rule the auth hook applies. */
function allowed(role: Role, method: string, path: string): boolean | 'public' {
  const permissions = requiredPermission(method, path);
  if (permissions === null) return 'public';
  return permissions.some((permission) => can(role, permission));
}

describe('roles and the permission each request needs', () => {
  const requests: [string, string][] = [
    ['GET', '/api/deployments'],
    ['POST', '/api/deployments'],
    ['POST', '/api/budgets'],
    ['GET', '/api/tokens'],
    ['PATCH', '/api/tokens/abc'],
    ['PUT', '/api/credentials/X'],
    ['GET', '/v1/models'],
    ['POST', '/v1/chat/completions'],
    ['POST', '/v1/completions'],
    ['GET', '/metrics'],
  ];
  const expected: Record<Role, boolean[]> = {
    admin: [true, true, true, true, true, true, true, true, true, true],
    deployer: [true, true, true, false, false, false, true, true, true, true],
    viewer: [true, false, false, false, false, false, true, false, false, true],
    // The gateway and nothing else: not even reading the control plane or its metrics.
    invoker: [false, false, false, false, false, false, true, true, true, false],
  };

  for (const role of roles) {
    it(`gives ${role} exactly its share`, () => {
      expect(requests.map(([method, path]) => allowed(role, method, path))).toEqual(expected[role]);
    });
  }

  it('leaves health, docs and the UI public, and ignores the query string', () => {
    for (const path of ['/healthz', '/docs', '/', '/deployments/x']) expect(requiredPermission('GET', path)).toBeNull();
    expect(requiredPermission('POST', '/v1/chat/completions?x=/api/tokens')).toEqual(['invoke']);
  });
});
