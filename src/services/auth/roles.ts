/** What each role may do. One table, read by the API's auth hook and shown in the docs. */
export const roles = ['admin', 'deployer', 'viewer', 'invoker'] as const;
export type Role = (typeof roles)[number];

/**
 * - read: every GET of the control plane;
 * - invoke: the OpenAI-compatible gateway (`/v1`: models, completions);
 * - deploy: create/change/deploy/stop/delete deployments, endpoint tests, routes, budgets;
 * - administer: API tokens and provider credentials (reading them too).
 */
export type Permission = 'read' | 'invoke' | 'deploy' | 'administer';

const grants: Record<Role, readonly Permission[]> = {
  admin: ['read', 'invoke', 'deploy', 'administer'],
  deployer: ['read', 'invoke', 'deploy'],
  viewer: ['read'],
  // For applications: they call models and see nothing of the control plane.
  invoker: ['invoke'],
};

export function can(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}
