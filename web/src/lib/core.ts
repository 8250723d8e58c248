/**
 * The server's state machine, shared with the UI so that buttons offer exactly the transitions the
 * server allows. Pure and zod-free, so the dashboard's first load stays small; the zod schemas live in
 * core-schemas.ts and load with the views that validate.
 */
export {
  canApply,
  deletableStatuses,
  deploymentStatuses,
  isTransient,
  transientStatuses,
} from '../../../src/core/deployment-status.js';
