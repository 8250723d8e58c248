/**
 * The server's route input schemas (zod), so the route form validates exactly as the API does. Imported
 * only by lazily loaded views.
 */
export { RouteChangesSchema, RouteCreateSchema } from '../../../src/gateway/route-spec.js';
