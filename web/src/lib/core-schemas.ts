/**
 * The server's own input schemas (zod), so the wizard and the configuration form validate exactly as the
 * API does. Imported only by lazily loaded views.
 */
export { DeploymentSpecSchema, DeploymentChangesSchema } from '../../../src/core/deployment-spec.js';
