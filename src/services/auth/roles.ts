/** What each role may do. One table, read by the API's auth hook and shown in the docs. */
export const roles = ['admin', 'deployer', 'viewer'] as const;
export type Role = (typeof roles)[number];

/**
 * - read: every GET of the control plane;
 * - deploy: create/change/deploy/stop/delete deployments, endpoint tests, routes, budgets, gateway calls;
 * - administer: API tokens and provider credentials (reading them too).
 */
export type Permission = 'read' | 'deploy' | 'administer';

const grants: Record<Role, readonly Permission[]> = {
  admin: ['read', 'deploy', 'administer'],
  deployer: ['read', 'deploy'],
  viewer: ['read'],
};

export function can(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}
