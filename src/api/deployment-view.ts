import type { Deployment } from '../core/deployment.js';

const demoNotice =
  'demo/tiny-llama is a synthetic model with random weights generated on this machine: its text is meaningless. ' +
  'The demo/cat and demo/dog adapters make their signature word visible, which shows that adapters are applied.';

/** The API's view of a deployment: the record without internals, plus what the user should know. */
export function toDeploymentView(deployment: Deployment) {
  return {
    id: deployment.id,
    name: deployment.name,
    platform: deployment.platform,
    status: deployment.status,
    config: deployment.config,
    endpointUrl: deployment.endpointUrl,
    providerEndpointUrl: deployment.providerRef?.endpointUrl ?? null,
    providerStatus: deployment.providerStatus,
    statusMessage: deployment.statusMessage,
    lastError: deployment.lastError,
    notices: deployment.config.baseModel.startsWith('demo/') ? [demoNotice] : [],
    version: deployment.version,
    statusSince: deployment.statusSince,
    createdAt: deployment.createdAt,
    updatedAt: deployment.updatedAt,
  };
}

export type DeploymentView = ReturnType<typeof toDeploymentView>;
