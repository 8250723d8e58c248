/**
 * The server's own domain rules, shared with the UI so that the wizard validates exactly as the API does
 * and buttons offer exactly the transitions the state machine allows. These modules are pure (zod only).
 */
export { DeploymentSpecSchema, DeploymentChangesSchema, DeploymentNameSchema } from '../../../src/core/deployment-spec.js';
export {
  canApply,
  deletableStatuses,
  deploymentStatuses,
  isTransient,
  transientStatuses,
} from '../../../src/core/deployment-status.js';
export { platformIds } from '../../../src/core/platform-id.js';
