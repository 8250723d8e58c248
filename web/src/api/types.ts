import type { components, paths } from './schema';

/** Names for the generated OpenAPI types (`npm run generate-api --workspace web`); nothing here is written by hand. */
type Schemas = components['schemas'];

export type Deployment = Schemas['Deployment'];
export type DeploymentStatus = Deployment['status'];
export type PlatformId = Deployment['platform'];
export type DeploymentConfig = Deployment['config'];
export type DeploymentEvent = Schemas['DeploymentEvent'];
export type Platform = Schemas['Platform'];
export type Problem = Schemas['Problem'];
export type EndpointTestResult = Schemas['EndpointTestResult'];
export type EndpointTestRecord = Schemas['EndpointTest'];
export type Metrics = Schemas['Metrics'];

export type CreateDeploymentBody = paths['/api/deployments']['post']['requestBody']['content']['application/json'];
export type UpdateDeploymentBody = NonNullable<paths['/api/deployments/{id}']['patch']['requestBody']>['content']['application/json'];
export type EndpointTestBody = paths['/api/deployments/{id}/test']['post']['requestBody']['content']['application/json'];
export type MetricsWindow = NonNullable<NonNullable<paths['/api/deployments/{id}/metrics']['get']['parameters']['query']>['window']>;
export type DeploymentListQuery = NonNullable<paths['/api/deployments']['get']['parameters']['query']>;
export type DeploymentValidation = paths['/api/deployments/validate']['post']['responses'][200]['content']['application/json'];
export type ApiToken = Schemas['ApiToken'];
export type NewApiTokenBody = paths['/api/tokens']['post']['requestBody']['content']['application/json'];
export type CreatedApiToken = paths['/api/tokens']['post']['responses'][201]['content']['application/json'];
export type Credential = Schemas['Credential'];
export type Route = Schemas['Route'];
export type RouteEvent = Schemas['RouteEvent'];
export type CreateRouteBody = paths['/api/routes']['post']['requestBody']['content']['application/json'];
export type UpdateRouteBody = NonNullable<paths['/api/routes/{id}']['patch']['requestBody']>['content']['application/json'];
